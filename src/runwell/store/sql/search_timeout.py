"""Searches the database stops after RUNWELL_SEARCH_TIMEOUT_S (30 s unless set).

A filter within the caps of ``store/search_filter.py`` can still make a slow query, and a query
whose client has gone keeps running in the database and holds a pooled connection (issue 19:
500 comparisons kept PostgreSQL busy after client and server had gone, and fifteen such
requests took the whole pool). So every search runs under a time limit that the database
enforces itself, whatever becomes of the request:

- PostgreSQL: ``SET LOCAL statement_timeout``, which ends with the search's transaction;
- MariaDB: the session's ``max_statement_time`` (seconds), set back to the server's default
  when the search ends; MySQL: ``max_execution_time`` (milliseconds, SELECTs only), likewise.
  On driver cursors each statement carries its own limit instead (``SET STATEMENT
  max_statement_time=N FOR ...``, or the ``MAX_EXECUTION_TIME`` optimizer hint);
- SQLite: a progress handler, consulted every 10,000 virtual-machine steps, that interrupts
  the statement once the time is up (a single long step, such as one LIKE over a long value,
  runs to its end first). SQLite releases the GIL and, in WAL mode, blocks no other reader or
  writer, but a slow search would still hold one of the server's threads.

Each limit applies to each statement of the search. A search stopped this way is a 400 that
names the limit, not the 503 a database error becomes elsewhere: clients retry a 503 (and a
504), and the same search would only run out of time again. Use ``search_transaction`` around
SQLAlchemy work and ``bounded_cursor`` around a driver cursor.

Both also stop their statements when the request that asked for them ends first
(``store/cancellation.py``); such a search raises the CANCELLED error, which no client reads.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from runwell import env
from runwell.errors import InvalidArgument, Unavailable
from runwell.store import cancellation
from runwell.store.cancellation import Cancellation
from runwell.store.sql.engine import transaction

# Error codes of a statement the server cancelled for its time limit: PostgreSQL's
# query_canceled SQLSTATE, MariaDB's ER_STATEMENT_TIMEOUT and MySQL's ER_QUERY_TIMEOUT.
_POSTGRES_CANCELED = "57014"
_MYSQL_TIMEOUTS = (1969, 3024)
# SQLite virtual-machine steps between two looks at the clock (a few microseconds of work).
_SQLITE_STEPS = 10_000


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _session_limit(dialect: Dialect, seconds: float) -> tuple[str, str | None]:
    """The SQL that bounds a session's next statements, and the SQL that lifts it (if any)."""
    if dialect.name == "postgresql":
        return f"SET LOCAL statement_timeout = {_ms(seconds)}", None
    if getattr(dialect, "is_mariadb", False):
        return (
            f"SET SESSION max_statement_time = {max(0.001, seconds):.3f}",
            "SET SESSION max_statement_time = DEFAULT",
        )
    return (
        f"SET SESSION max_execution_time = {_ms(seconds)}",
        "SET SESSION max_execution_time = DEFAULT",
    )


def is_timeout(error: BaseException) -> bool:
    """Whether a driver error says the server cancelled a statement for its time limit."""
    if getattr(error, "sqlstate", None) == _POSTGRES_CANCELED:
        return True
    args: tuple[object, ...] = getattr(error, "args", ())
    return bool(args) and args[0] in _MYSQL_TIMEOUTS


def timed_out(seconds: float, what: str) -> InvalidArgument:
    """The error of a search the database stopped after ``seconds``."""
    return InvalidArgument(
        f"The search for {what} took longer than {seconds:g} s ({env.SEARCH_TIMEOUT_S}) and "
        "was stopped: narrow the filter (fewer comparisons, or ones that match fewer rows) "
        "or ask for fewer results per page."
    )


class _SqliteDeadline:
    """A progress handler that interrupts a connection's statements once ``seconds`` passed
    (0: never) or once the search is cancelled."""

    def __init__(self, connection: Any, seconds: float, cancel: Cancellation | None) -> None:
        self._connection = connection
        self._deadline = time.monotonic() + seconds if seconds else float("inf")
        self._cancel = cancel
        self.expired = False

    def __call__(self) -> int:
        self.expired = time.monotonic() > self._deadline
        stop = self.expired or (self._cancel is not None and self._cancel.cancelled)
        return int(stop)  # non-zero: SQLite stops the statement ("interrupted")

    def __enter__(self) -> _SqliteDeadline:
        self._connection.set_progress_handler(self, _SQLITE_STEPS)
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.set_progress_handler(None, 0)


@contextlib.contextmanager
def _translated(
    seconds: float, what: str, fired: Callable[[BaseException], bool]
) -> Iterator[None]:
    cancel = cancellation.current()
    try:
        yield
    except Exception as exc:
        if cancel is not None and cancel.cancelled:
            raise cancellation.cancelled(what) from exc
        if fired(exc):
            raise timed_out(seconds, what) from exc
        raise


@contextlib.contextmanager
def _stoppable(engine: Engine, dbapi_connection: Any, what: str) -> Iterator[None]:
    """Register how to stop ``dbapi_connection``'s statements with the current cancellation."""
    cancel = cancellation.current()
    if cancel is None:
        yield
        return
    dialect = engine.dialect

    def connect() -> Any:
        args, kwargs = dialect.create_connect_args(engine.url)
        return dialect.connect(*args, **kwargs)

    stop = cancellation.statement_stop(dialect.name, dbapi_connection, connect)
    with cancel.stopping_with(stop, what):
        yield


def _driver_error(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc


@contextlib.contextmanager
def search_transaction(engine: Engine, what: str) -> Iterator[Connection]:
    """A read transaction whose statements are stopped after the search timeout.

    Args:
        engine: The store's engine.
        what: What is searched, for the error ("runs", "registered models").

    Raises:
        InvalidArgument: A statement ran past RUNWELL_SEARCH_TIMEOUT_S.
    """
    seconds = env.search_timeout_s()
    cancel = cancellation.current()
    with transaction(engine, write=False) as conn:
        dbapi_connection = conn.connection.dbapi_connection
        if seconds == 0 and cancel is None:
            yield conn
        elif conn.dialect.name == "sqlite":
            with _SqliteDeadline(dbapi_connection, seconds, cancel) as deadline:
                with _translated(seconds, what, lambda _exc: deadline.expired):
                    yield conn
        elif seconds == 0:
            with _stoppable(engine, dbapi_connection, what), _translated(0, what, _never):
                yield conn
        else:
            bound, unbound = _session_limit(conn.dialect, seconds)
            conn.exec_driver_sql(bound)
            try:
                with (
                    _stoppable(engine, dbapi_connection, what),
                    _translated(seconds, what, lambda exc: is_timeout(_driver_error(exc))),
                ):
                    yield conn
            finally:
                if unbound is not None:
                    _lift(conn, unbound)


def _never(_exc: BaseException) -> bool:
    return False


def _lift(conn: Connection, unbound: str) -> None:
    try:
        conn.exec_driver_sql(unbound)
    except sa.exc.DBAPIError as exc:
        # A session that cannot be set back must not return to the pool with a time limit.
        conn.invalidate()
        raise Unavailable(f"The database is unavailable: {exc.orig}") from exc


class _BoundedCursor:
    """A driver cursor whose ``execute`` adds MySQL's or MariaDB's per-statement time limit."""

    def __init__(self, cursor: Any, dialect: Dialect, seconds: float) -> None:
        self._cursor = cursor
        if getattr(dialect, "is_mariadb", False):
            self._prefix, self._hint = f"SET STATEMENT max_statement_time={seconds:.3f} FOR ", ""
        else:
            self._prefix, self._hint = "", f"SELECT /*+ MAX_EXECUTION_TIME({_ms(seconds)}) */"

    def execute(self, sql: str, parameters: Any = None) -> Any:
        if self._hint and sql.startswith("SELECT"):
            sql = self._hint + sql[len("SELECT") :]
        return self._cursor.execute(self._prefix + sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextlib.contextmanager
def bounded_cursor(cursor: Any, engine: Engine, what: str) -> Iterator[Any]:
    """``cursor`` (a driver cursor of ``engine``) with the search timeout on its statements.

    On PostgreSQL the limit lasts to the end of the cursor's transaction; on MySQL and MariaDB
    each statement run through the returned cursor carries its own, so the pooled session
    keeps none; on SQLite the progress handler is removed on the way out.

    Raises:
        InvalidArgument: A statement ran past RUNWELL_SEARCH_TIMEOUT_S.
    """
    seconds = env.search_timeout_s()
    dialect = engine.dialect
    cancel = cancellation.current()
    if seconds == 0 and cancel is None:
        yield cursor
    elif dialect.name == "sqlite":
        with _SqliteDeadline(cursor.connection, seconds, cancel) as deadline:
            with _translated(seconds, what, lambda _exc: deadline.expired):
                yield cursor
    elif seconds == 0:
        with _stoppable(engine, cursor.connection, what), _translated(0, what, _never):
            yield cursor
    elif dialect.name == "postgresql":
        cursor.execute(_session_limit(dialect, seconds)[0])
        with _stoppable(engine, cursor.connection, what), _translated(seconds, what, is_timeout):
            yield cursor
    else:
        with _stoppable(engine, cursor.connection, what), _translated(seconds, what, is_timeout):
            yield _BoundedCursor(cursor, dialect, max(0.001, seconds))
