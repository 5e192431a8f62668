"""Engines for the SQL stores: one per database URL, tuned per dialect.

SQLite is the embedded default and must be safe with several processes writing at once, so
its connections run in WAL mode with a busy timeout, and write transactions open with
``BEGIN IMMEDIATE``: a deferred transaction that reads first and writes later can fail with
"database is locked" without waiting for the timeout when another writer got there first.
Every write transaction on an SQLite file holds the file's cross-process writer lock from
BEGIN to COMMIT (``writer_lock.py``), the automatic checkpoint its COMMIT may run included;
``checkpointer.py`` says why that makes SQLite's WAL-reset race impossible. The driver is the
bundled SQLite of ``store/sqlite_driver.py``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from runwell.errors import AlreadyExists, InvalidArgument, RunwellError, Unavailable
from runwell.store.sql.writer_lock import WriterLock, writer_lock
from runwell.store.sqlite_driver import dbapi

SQLITE_BUSY_TIMEOUT_MS = 120_000
_WRITE = "runwell_write"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Pick the driver we ship for plain dialect names (``postgresql://`` -> psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://")):
        rest = url.split("://", 1)[1]
        return "postgresql+psycopg://" + rest
    if url.startswith(("mysql://", "mariadb://")):
        rest = url.split("://", 1)[1]
        return "mysql+pymysql://" + rest
    return url


def sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level: transactions are begun explicitly in _sqlite_on_begin.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode survives a killed process (only power loss can drop a commit).
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA case_sensitive_like = ON")
    # Checkpoints fsync; with the default (1000 pages) they dominate a loop of small commits.
    # This one bounds the WAL; checkpointer.py does most of the work in the background.
    cursor.execute("PRAGMA wal_autocheckpoint = 10000")
    cursor.execute("PRAGMA journal_size_limit = 67108864")
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.execute("PRAGMA temp_store = MEMORY")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def get_engine(url: str) -> Engine:
    """One engine per URL per process (engines own connection pools)."""
    url = normalize_url(url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
        return engine


def _create_engine(url: str) -> Engine:
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidArgument(f"Invalid database URI '{url}': {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InvalidArgument(
                f"Invalid tracking URI '{url}': an SQLite store needs a file path, "
                "e.g. sqlite:///runwell.db"
            )
        engine = sa.create_engine(url, module=dbapi())
        event.listen(engine, "connect", sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend in ("postgresql", "mysql", "mariadb"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise InvalidArgument(
        f"Unsupported database URI '{url}': expected sqlite:///, postgresql:// or mysql+pymysql://"
    )


@contextlib.contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """A transaction that translates driver errors into runwell errors at the boundary."""
    if write and engine.dialect.name == "sqlite":
        with sqlite_writer(engine), _transaction(engine, write=True) as conn:
            yield conn
        return
    with _transaction(engine, write=write) as conn:
        yield conn


def sqlite_writer(engine: Engine) -> WriterLock:
    """The writer lock of an SQLite engine's file (held by every write transaction on it)."""
    return writer_lock(engine.url.database or None)


@contextlib.contextmanager
def _transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    try:
        with engine.connect() as conn:
            if write:
                conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
    except RunwellError:
        raise
    except sa.exc.IntegrityError as exc:
        raise AlreadyExists(f"Conflicting write: {exc.orig}") from exc
    except sa.exc.OperationalError as exc:
        raise Unavailable(f"The database is unavailable: {exc.orig}") from exc
    except sa.exc.DBAPIError as exc:
        raise InvalidArgument(f"The database rejected the request: {exc.orig}") from exc


def dispose_all() -> None:
    """Close every pooled connection (tests, forks)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
