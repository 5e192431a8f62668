"""DBAPI connections for the hot write path, skipping SQLAlchemy's per-call machinery.

A training loop calls ``log_metric`` tens of thousands of times: a pooled SQLAlchemy
connection and transaction cost ~150 µs a call, the driver alone ~20 µs. SQLite connections
are held per thread (and per process, so a fork never shares one); a server's connections
come from the engine's pool on each call.

Writes keep checkpointer.py's background thread running, which does most checkpoint work off
the writing thread; the writer's automatic checkpoint (see engine.py for its size) bounds the
WAL, since a background checkpoint alone never catches up with a sustained write loop.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from runwell.errors import AlreadyExists, InvalidArgument, RunwellError, Unavailable
from runwell.store.sql.checkpointer import Checkpointer
from runwell.store.sql.engine import sqlite_on_connect, sqlite_writer
from runwell.store.sql.writer_lock import writer_lock

T = TypeVar("T")

# A server may abort one of two transactions that wait on each other; running it again is the
# documented remedy (MySQL: deadlock, lock wait timeout; PostgreSQL: deadlock, serialization).
_MYSQL_RETRYABLE = (1213, 1205)
_POSTGRES_RETRYABLE = ("40P01", "40001")
WRITE_ATTEMPTS = 5

# This process's id, kept current across forks: os.getpid() is a system call, and the hot
# path asks on every write whether its connection was made by this process.
_process = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _process.__setitem__(0, os.getpid()))


class RawConnections:
    """Write transactions on driver cursors, with runwell errors at the boundary."""

    def __init__(self, engine: Engine, sqlite_setup: Sequence[str] = ()) -> None:
        self.engine = engine
        # Statements run on each of our own SQLite connections (e.g. TEMP triggers).
        self._sqlite_setup = tuple(sqlite_setup)
        self.dialect = "mysql" if engine.dialect.name == "mariadb" else engine.dialect.name
        self.mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._local = threading.local()
        dbapi = engine.dialect.dbapi
        assert dbapi is not None
        self._integrity_error = dbapi.IntegrityError
        self._operational_error = dbapi.OperationalError
        self._database_error = dbapi.DatabaseError
        # Held from BEGIN to COMMIT: one writer per file, across threads and processes.
        self.write_lock = sqlite_writer(engine) if self.dialect == "sqlite" else writer_lock(None)
        self.checkpointer = (
            Checkpointer(os.path.abspath(engine.url.database or ""), self.write_lock)
            if self.dialect == "sqlite"
            else None
        )

    def _sqlite_connection(self) -> Any:
        held = getattr(self._local, "held", None)
        pid = _process[0]
        if held is None or held[0] != pid:
            # A connection of our own, not the pool's: a thread may hold it for its lifetime
            # without starving the pool.
            dialect = self.engine.dialect
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            assert dialect.dbapi is not None
            connection = dialect.dbapi.connect(*cargs, **cparams)
            sqlite_on_connect(connection, None)
            # This connection only writes points and params after checking their run in the
            # same transaction, so the foreign-key lookups (~10% of a commit) are redundant.
            connection.execute("PRAGMA foreign_keys = OFF")
            for statement in self._sqlite_setup:
                connection.execute(statement)
            held = (pid, connection, connection.cursor())
            self._local.held = held
        return held

    def sqlite_cursor(self) -> tuple[Any, Any]:
        """This thread's SQLite connection and its reusable cursor, to write with."""
        pid, connection, cursor = self._sqlite_connection()
        if self.checkpointer is not None:
            self.checkpointer.keep_running(pid)
        return connection, cursor

    def translated(self, exc: BaseException) -> BaseException:
        """The runwell error for a driver error (others are returned unchanged)."""
        if isinstance(exc, RunwellError):
            return exc
        if isinstance(exc, self._integrity_error):
            return AlreadyExists(f"Conflicting write: {exc}")
        if isinstance(exc, self._operational_error):
            return Unavailable(f"The database is unavailable: {exc}")
        if isinstance(exc, self._database_error):
            return InvalidArgument(f"The database rejected the request: {exc}")
        return exc

    @contextlib.contextmanager
    def read(self) -> Iterator[Any]:
        """A cursor for one consistent read (each SQLite statement is its own snapshot)."""
        try:
            if self.dialect == "sqlite":
                _pid, connection, _cursor = self._sqlite_connection()
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
                return
            pooled = self.engine.raw_connection()
            try:
                yield pooled.cursor()
                pooled.rollback()
            finally:
                pooled.close()
        except Exception as exc:
            error = self.translated(exc)
            if error is exc:
                raise
            raise error from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        """A cursor inside a write transaction, committed on success."""
        try:
            if self.dialect == "sqlite":
                connection, _cursor = self.sqlite_cursor()
                with self.write_lock:
                    cursor = connection.cursor()
                    cursor.execute("BEGIN IMMEDIATE")
                    try:
                        yield cursor
                    except BaseException:
                        connection.rollback()
                        raise
                    cursor.execute("COMMIT")
                return
            pooled = self.engine.raw_connection()
            try:
                cursor = pooled.cursor()
                try:
                    yield cursor
                except BaseException:
                    pooled.rollback()
                    raise
                pooled.commit()
            finally:
                pooled.close()
        except Exception as exc:
            error = self.translated(exc)
            if error is exc:
                raise
            raise error from exc

    def retryable(self, exc: BaseException) -> bool:
        """A driver error that aborted the transaction only because of concurrent writers."""
        if self.dialect == "mysql":
            return (
                isinstance(exc, self._operational_error)
                and bool(exc.args)
                and exc.args[0] in _MYSQL_RETRYABLE
            )
        if self.dialect == "postgresql":
            return getattr(exc, "sqlstate", None) in _POSTGRES_RETRYABLE
        return False

    def write_retrying(self, body: Callable[[Any], T]) -> T:
        """``body(cursor)`` in a write transaction, run again if the server aborted it."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.write() as cursor:
                    return body(cursor)
            except Unavailable as exc:
                cause = exc.__cause__
                if attempt + 1 == WRITE_ATTEMPTS or cause is None or not self.retryable(cause):
                    raise
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")
