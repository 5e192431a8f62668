"""``runwell db``: the schema version of a tracking database, and upgrades to it.

A store refuses a database whose schema is older than this runwell; back the database up,
then run ``runwell db upgrade URI``.
"""

from __future__ import annotations

from pathlib import Path

import click

from runwell.cli._context import CliState, pass_state
from runwell.errors import NotFound
from runwell.tracking.client import resolve_tracking_uri

# SQLAlchemy and alembic load inside the commands: every other command (``runwell models
# serve`` among them) starts without them.

_SQLITE = "sqlite:///"


def _database_uri(state: CliState, uri: str | None) -> str:
    """URI argument, else the global tracking URI; an SQLite file must already exist."""
    resolved = resolve_tracking_uri(uri) if uri else state.tracking_uri
    if resolved.startswith(_SQLITE) and not Path(resolved[len(_SQLITE) :]).is_file():
        raise NotFound(
            f"no database file at {resolved[len(_SQLITE) :]}; check the URI "
            "(a runwell store creates its database on first use)"
        )
    return resolved


@click.group("db")
def group() -> None:
    """The tracking database's schema."""


@group.command("upgrade")
@click.argument("uri", required=False)
@pass_state
def upgrade(state: CliState, uri: str | None) -> None:
    """Upgrade the schema of the database at URI to this runwell's version.

    URI defaults to the tracking URI. Back the database up first.
    """
    from runwell.store.sql import migrate
    from runwell.store.sql.engine import get_engine

    before, after = migrate.upgrade(get_engine(_database_uri(state, uri)))
    if before == after:
        click.echo(f"schema at {after}")
    else:
        click.echo(f"upgraded {before or 'empty'} -> {after}")


@group.command("current")
@click.argument("uri", required=False)
@pass_state
def current(state: CliState, uri: str | None) -> None:
    """Print the schema revision of the database at URI (default: the tracking URI)."""
    resolved = _database_uri(state, uri)
    from runwell.store.sql import migrate
    from runwell.store.sql.engine import get_engine, transaction

    with transaction(get_engine(resolved), write=False) as conn:
        revision = migrate.current_revision(conn)
    head = migrate.head_revision()
    if revision == head:
        click.echo(f"{revision} (head)")
    elif revision is None:
        click.echo(f"no runwell schema; run `runwell db upgrade {resolved}`")
    else:
        click.echo(f"{revision}; head is {head}: run `runwell db upgrade {resolved}`")
