"""Background WAL checkpoints for a SQLite database that this process writes.

A checkpoint copies the write-ahead log back into the database file and syncs both files to
disk; on this kind of disk the syncs cost tens of milliseconds. Left to the writing thread
(SQLite's automatic checkpoint), a training loop stalls on each of them, a fifth of its time.
Here a thread checkpoints while the loop goes on, whenever the log has changed. The writer's
own automatic checkpoint stays as the bound on the log's size: by the time it runs, most of
the log is already copied and synced, so it is short.

The thread stops after a few idle seconds (a process may open many databases) and is started
again by the next write; a forked child starts its own.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
import threading
import weakref
from contextlib import AbstractContextManager
from typing import Any

INTERVAL_S = 0.2
IDLE_EXIT_S = 3.0
# A log of this many frames (4 KB pages) is checkpointed to completion, writers held off.
_FINISH_FRAMES = 1000


class Checkpointer:
    """Checkpoints one database file's WAL from a daemon thread while it keeps changing."""

    def __init__(self, path: str, writers: AbstractContextManager[Any] | None = None) -> None:
        self.path = path
        self._writers = writers  # held to finish a checkpoint (see _checkpoint)
        self.passes = 0
        self._wal = f"{path}-wal"
        self._lock = threading.Lock()
        self._running_in = 0  # the pid whose thread is running, 0 when none is
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _all.add(self)

    def keep_running(self, pid: int) -> None:
        """Called on each write: starts the thread if this process has none running."""
        if self._running_in == pid:
            return
        with self._lock:
            if self._running_in == pid:
                return
            self._stop = threading.Event()
            self._running_in = pid
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="runwell-checkpointer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self, stop: threading.Event) -> None:
        connection: sqlite3.Connection | None = None
        last_change: int | None = None
        idle = 0.0
        try:
            while not stop.wait(INTERVAL_S):
                try:
                    change = os.stat(self._wal).st_mtime_ns
                except FileNotFoundError:
                    change = None
                if change == last_change:
                    idle += INTERVAL_S
                    if idle >= IDLE_EXIT_S:
                        return
                    continue
                idle = 0.0
                last_change = change
                if change is None:
                    continue
                if connection is None:
                    connection = sqlite3.connect(self.path, isolation_level=None)
                # PASSIVE never waits for the writers; a busy or vanished database is left to
                # the writers' own checkpoint.
                with contextlib.suppress(sqlite3.Error):
                    self._checkpoint(connection)
                    self.passes += 1
        finally:
            with self._lock:
                if self._stop is stop:
                    self._running_in = 0
            if connection is not None:
                connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> bool:
        """Copy the log into the database; finish with writers held off when they kept up.
        Whether the whole log was copied (the next write restarts it from its beginning).

        Under sustained writes a PASSIVE checkpoint may never complete: frames keep arriving
        while it copies, so the log is never restarted and grows until a writer's own
        checkpoint copies it all, stalling that write for tens of milliseconds (the slowest
        requests of a server under load). Once most of the log is copied here, the few frames
        left are copied with the writers held off (the writer lock, across processes), which
        completes the checkpoint.
        """
        _busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if copied >= logged:
            return bool(logged >= 0)  # -1: not in WAL mode
        if self._writers is None or logged < _FINISH_FRAMES:
            return False  # not ours to finish, or too small to matter
        with self._writers:
            _busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return bool(copied >= logged >= 0)


_all: weakref.WeakSet[Checkpointer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for checkpointer in list(_all):
        checkpointer.stop()
