"""Consistent online copies of an SQLite tracking database, taken while writers run.

SQLite's online backup API copies the database page by page from inside one read
transaction when asked for every page in one step (``pages=-1``): in WAL mode a reader never
blocks writers and sees one snapshot, so the copy holds exactly the transactions committed
before it began, the frames still in ``-wal`` included (SQLite's "Online Backup API" and WAL
documentation). The copy is written beside the destination and renamed into place once it
passed ``PRAGMA integrity_check``, in rollback-journal mode, so the destination is one
self-contained file or is not there at all.

PostgreSQL and MySQL have their own consistent dump tools; ``server_dump_advice`` names them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runwell.errors import AlreadyExists, InvalidArgument, InvalidState, NotFound
from runwell.store.sqlite_driver import dbapi


@dataclass(frozen=True)
class Backup:
    path: Path
    bytes: int
    revision: str | None
    seconds: float


def backup_sqlite(database: Path, destination: Path, *, overwrite: bool = False) -> Backup:
    """Copy the SQLite database at ``database`` to ``destination``, consistent and checked."""
    if not database.is_file():
        raise NotFound(f"No SQLite database at {database}.")
    if destination.is_dir():
        destination = destination / database.name
    if destination.exists() and not overwrite:
        raise AlreadyExists(f"{destination} exists; choose another destination or pass --force.")
    if destination.resolve() == database.resolve():
        raise InvalidArgument(f"The backup destination {destination} is the database itself.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    started = time.perf_counter()
    driver = dbapi()
    source = driver.connect(str(database), isolation_level=None)
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        copy = driver.connect(str(partial), isolation_level=None)
        try:
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise InvalidState(
                    f"The copy of {database} failed SQLite's integrity check: "
                    f"{'; '.join(problems[:5])}. The database itself may be damaged; "
                    "nothing was written to the destination."
                )
            revision = _revision(copy)
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, destination)
    return Backup(destination, destination.stat().st_size, revision, time.perf_counter() - started)


def _revision(connection: Any) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except dbapi().Error:
        return None
    return None if row is None else str(row[0])


def server_dump_advice(dialect: str, display_url: str) -> str:
    """How to back up a PostgreSQL or MySQL tracking database with its own tools."""
    if dialect == "postgresql":
        return (
            f"{display_url} is a PostgreSQL database: back it up with its own consistent dump, "
            "e.g. `pg_dump --format=custom --file runwell.dump DBNAME` (restore with "
            "`pg_restore`), or the server's continuous archiving."
        )
    return (
        f"{display_url} is a MySQL/MariaDB database: back it up with a consistent dump, "
        "e.g. `mariadb-dump --single-transaction DBNAME > runwell.sql` (or `mysqldump`)."
    )
