"""``runwell db``: the schema version of a tracking database, upgrades to it, and backups.

A store refuses a database whose schema is older than this runwell; back the database up
(``runwell db backup URI DEST``), then run ``runwell db upgrade URI``.
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
    elif revision is not None and not revision.isdigit():
        click.echo(f"{revision}, not a runwell schema (MLflow's own database?)")
    elif revision is not None and migrate.newer_than_head(revision):
        click.echo(f"{revision}, written by a newer runwell (this one knows up to {head})")
    elif revision is None:
        click.echo(f"no runwell schema; run `runwell db upgrade {resolved}`")
    else:
        click.echo(f"{revision}; head is {head}: run `runwell db upgrade {resolved}`")


@group.command("backup")
@click.argument("uri")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def backup(uri: str, dest: Path, force: bool) -> None:
    """Copy the SQLite database at URI to DEST, consistently, while writers run.

    The copy is one self-contained file that passed SQLite's integrity check. PostgreSQL and
    MySQL databases are backed up with their own dump tools (the message names them).
    """
    import sqlalchemy as sa

    from runwell.errors import InvalidArgument
    from runwell.store.sql.backup import backup_sqlite, server_dump_advice
    from runwell.store.sql.engine import normalize_url

    resolved = resolve_tracking_uri(uri)
    url = sa.engine.make_url(normalize_url(resolved))
    dialect = url.get_backend_name()
    if dialect != "sqlite":
        display = url.render_as_string(hide_password=True)
        if dialect in ("postgresql", "mysql", "mariadb"):
            raise InvalidArgument(server_dump_advice(dialect, display))
        raise InvalidArgument(f"Cannot back up {display}: expected an sqlite:/// URI.")
    done = backup_sqlite(Path(url.database or ""), dest, overwrite=force)
    click.echo(
        f"backed up {done.bytes:,} bytes (schema {done.revision or 'none'}) to {done.path} "
        f"in {done.seconds:.2f} s"
    )
