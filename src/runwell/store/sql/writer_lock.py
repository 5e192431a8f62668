"""One writer at a time per SQLite file, across threads and processes, without sleeping.

SQLite lets one transaction write at a time; a second writer waits in SQLite's busy handler,
which sleeps 1, 2, 5, 10... ms between tries and so often wakes long after the lock was free.
Under a server's concurrent requests, and with several workers or training processes on one
file, those sleeps were the slowest writes' latency. Writers wait here instead, from BEGIN to
COMMIT: threads of a process on an RLock, processes on an ``flock`` of ``<database>-lock``,
which the kernel hands to the next waiter the moment it is released.

Where ``flock`` is unavailable (Windows, or a lock file that cannot be opened) only threads
are serialised, and other processes fall back on SQLite's busy handler as before.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class WriterLock:
    """Held around each write transaction on one SQLite file (re-entrant per thread)."""

    def __init__(self, database_path: str | None) -> None:
        self._path = f"{database_path}-lock" if database_path and fcntl is not None else None
        self._reset()

    def _reset(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        # Opened on first use, and again in a forked child: a descriptor inherited from the
        # parent shares its lock.
        self._fd: int | None = None

    def _file(self) -> int | None:
        if self._fd is None and self._path is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:
                self._path = None
        return self._fd

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        if self._depth == 0:
            fd = self._file()
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    self._threads.release()
                    raise
        self._depth += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


def writer_lock(database_path: str | None) -> WriterLock:
    """The process's lock for the SQLite file at ``database_path`` (None: in memory)."""
    key = os.path.abspath(database_path) if database_path else ":memory:"
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(key if database_path else None)
        return lock


def _after_fork() -> None:
    for lock in _locks.values():
        if lock._fd is not None:
            os.close(lock._fd)
        lock._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
