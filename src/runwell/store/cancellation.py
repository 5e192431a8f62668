"""Stop a search in the database when whoever asked for it has gone (issue 19, item 3).

The server runs a search in a worker thread. When the client disconnects first, the event loop
calls ``Cancellation.cancel``, and the search's statements are stopped on their backend:

- PostgreSQL: the driver's cancel request (the server stops the backend's current statement);
- MariaDB and MySQL: ``KILL QUERY <connection id>``, sent on a short-lived connection of its
  own, because the pool may be the very thing the slow searches have used up;
- SQLite: the progress handler that enforces the search's time limit also looks at the flag.

``search_timeout.search_transaction`` and ``bounded_cursor`` register the stop for as long as
their statements run, through ``current()``: the cancellation the worker thread runs under
(``running_under``). Outside a server nothing is registered, and nothing changes.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any

from runwell.errors import ErrorCode, RunwellError

Stop = Callable[[], None]

_current: contextvars.ContextVar[Cancellation | None] = contextvars.ContextVar(
    "runwell_cancellation", default=None
)


class Cancellation:
    """A flag that a request's owner sets once, and the stops of the statements running now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stops: list[Stop] = []
        self.cancelled = False

    def cancel(self) -> None:
        """Set the flag and stop every registered statement (each stop may use the network)."""
        with self._lock:
            if self.cancelled:
                return
            self.cancelled = True
            stops = list(self._stops)
        for stop in stops:
            with contextlib.suppress(Exception):  # the statement may have ended meanwhile
                stop()

    @contextlib.contextmanager
    def stopping_with(self, stop: Stop, what: str) -> Iterator[None]:
        """Register ``stop`` while the body runs; refuse to begin once cancelled."""
        with self._lock:
            if self.cancelled:
                raise cancelled(what)
            self._stops.append(stop)
        try:
            yield
        finally:
            with self._lock:
                self._stops.remove(stop)

    @contextlib.contextmanager
    def running_under(self) -> Iterator[None]:
        """Make this the ``current()`` cancellation of the calling thread."""
        token = _current.set(self)
        try:
            yield
        finally:
            _current.reset(token)


def current() -> Cancellation | None:
    """The cancellation the running code is under, if a server set one."""
    return _current.get()


def cancelled(what: str) -> RunwellError:
    """The error of a search stopped because its client went away (no one reads it)."""
    return RunwellError(
        f"The search for {what} was stopped: its client closed the connection.",
        ErrorCode.CANCELLED,
    )


def statement_stop(dialect_name: str, dbapi_connection: Any, connect: Callable[[], Any]) -> Stop:
    """How to stop the statement running on ``dbapi_connection`` from another thread.

    Args:
        dialect_name: SQLAlchemy's name of the backend ("postgresql", "mysql", "mariadb").
        dbapi_connection: The driver connection the search runs on.
        connect: Opens a new driver connection to the same database (MySQL's KILL QUERY).
    """
    if dialect_name == "postgresql":
        stop: Stop = getattr(dbapi_connection, "cancel_safe", None) or dbapi_connection.cancel
        return stop
    connection_id = int(dbapi_connection.thread_id())

    def kill() -> None:
        killer = connect()
        try:
            with contextlib.closing(killer.cursor()) as cursor:
                cursor.execute(f"KILL QUERY {connection_id}")
        finally:
            killer.close()

    return kill
