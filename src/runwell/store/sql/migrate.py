"""Schema versions: create a new database, refuse a stale one, upgrade on request.

Alembic is configured in code from the package path, so migrations work from an installed
wheel, and runs on the caller's connection inside one transaction (alembic cookbook,
"sharing a connection"); concurrent first starts are serialised by a database lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from runwell.errors import InvalidState
from runwell.store.sql.engine import transaction

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions; a test keeps it equal to Alembic's head. Knowing
# it here lets a store open without importing Alembic (half a second) on every start.
HEAD = "0009"


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Alembic's view of the newest revision (slow: loads every migration script)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _lock(conn: Connection) -> None:
    """Serialise schema changes between processes (SQLite's BEGIN IMMEDIATE already does)."""
    name = conn.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4711)")
    elif name in ("mysql", "mariadb"):
        conn.exec_driver_sql("SELECT GET_LOCK('runwell_schema', 120)")


def newer_than_head(revision: str) -> bool:
    """Whether ``revision`` is not one of this runwell's: a later runwell wrote it."""
    return not revision.isdigit() or int(revision) > int(HEAD)


def _refuse_newer(revision: str, display_url: str) -> InvalidState:
    from runwell._version import __version__

    if not revision.isdigit():  # runwell's revisions are numbers: "0009"
        return InvalidState(
            f"The database at {display_url} has a schema runwell does not know (revision "
            f"{revision}): it looks like MLflow's own database. runwell speaks MLflow's REST "
            "protocol and reads its model files, but keeps its own database schema: point "
            "runwell at a new database (or keep serving this one with `mlflow server`). The "
            "database was left untouched."
        )
    return InvalidState(
        f"The database at {display_url} was written by a newer runwell: its schema is at "
        f"revision {revision}, and this runwell ({__version__}) knows revisions up to {HEAD}. "
        "Upgrade runwell (`pip install --upgrade runwell`) to use it; the database was left "
        "untouched."
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade the schema; returns (revision before, revision after). A database at a newer
    revision than this runwell knows is refused, and left as it is."""
    with transaction(engine, write=True) as conn:
        _lock(conn)
        before = current_revision(conn)
        if before is not None and newer_than_head(before):
            raise _refuse_newer(before, _display(engine.url.render_as_string()))
        from alembic import command

        command.upgrade(_config(conn), revision)
        after = current_revision(conn)
    assert after is not None
    return before, after


def downgrade(engine: Engine, revision: str) -> None:
    with transaction(engine, write=True) as conn:
        _lock(conn)
        from alembic import command

        command.downgrade(_config(conn), revision)


def _display(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def ensure_schema(engine: Engine, url: str) -> None:
    """Create the schema in an empty database; refuse one at another revision."""
    display_url = _display(url)
    head = HEAD
    with transaction(engine, write=False) as conn:
        current = current_revision(conn)
        if current == head:
            return
        has_tables = sa.inspect(conn).get_table_names()
    if current is None and not (set(has_tables) - {"alembic_version"}):
        upgrade(engine)
        return
    if current is None:
        raise InvalidState(
            f"The database at {display_url} has tables but no runwell schema version; "
            "point runwell at an empty database or a runwell database."
        )
    if newer_than_head(current):
        raise _refuse_newer(current, display_url)
    raise InvalidState(
        f"The database schema at {display_url} is at revision {current}, expected {head}: "
        f"run `runwell db upgrade {display_url}` (back up the database first)."
    )
