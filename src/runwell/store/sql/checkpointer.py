"""WAL checkpoints for an SQLite database that this process writes: safe, off the hot path.

A checkpoint copies the write-ahead log back into the database file and syncs both files to
disk; on this kind of disk the syncs cost tens of milliseconds. Left to SQLite's automatic
checkpoint, a training loop stalls on each of them. Here a daemon thread checkpoints whenever
the log has changed, and stops after a few idle seconds (a process may open many databases);
the next write starts it again, and a forked child starts its own.

Why no checkpoint can lose a write (SQLite's WAL documentation, "the WAL-reset bug", which
affects 3.7.0 to 3.51.2): the race needs a checkpoint to run while another connection commits
a transaction that restarts the log (a writer restarts it at its first write after a log that
was copied back completely), right after a previous checkpoint finished. In runwell:

- every write transaction on the file holds its writer lock (``writer_lock.py``, an ``flock``
  shared by every thread and process) from BEGIN to COMMIT, so the only writer that can restart
  the log is the one holding the lock;
- every checkpoint holds that same lock: the thread here takes it for each pass, and SQLite's
  automatic checkpoint runs inside the COMMIT of a writer that holds it. Closing the last
  connection also checkpoints, but only after taking an exclusive lock on the file, which no
  other connection can hold beside it (SQLite's WAL documentation, "automatic checkpoint" and
  "persistence of WAL mode").

So a checkpoint never overlaps a commit, nor another checkpoint, in any runwell process: the
interleaving the bug needs cannot happen, whatever SQLite is linked. The bundled SQLite
(``store/sqlite_driver.py``) also has the fix, which covers programs other than runwell that
write the same file.

Holding the lock stalls writers for the length of a pass; passes are kept short by running
often (a pass copies what 200 ms of writes added). At a clean exit, and when a server stops,
``finish_all`` copies the whole log back and truncates it (``wal_checkpoint(TRUNCATE)``), so
``runwell.db`` alone holds every row and can be copied as a backup.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import weakref
from contextlib import AbstractContextManager
from typing import Any

from runwell.store.sqlite_driver import dbapi

INTERVAL_S = 0.2
IDLE_EXIT_S = 3.0
# How long a final TRUNCATE checkpoint waits for readers to finish before it gives up.
_FINISH_WAIT_MS = 2000


class Checkpointer:
    """Checkpoints one database file's WAL from a daemon thread while it keeps changing."""

    def __init__(self, path: str, writers: AbstractContextManager[Any]) -> None:
        self.path = path
        self._writers = writers  # held for every checkpoint (see the module docstring)
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

    def finish(self) -> bool:
        """Stop the thread, then copy the whole log back and truncate it, writers held off.
        Whether the log is now empty (False: readers kept it, or the file is gone)."""
        self.stop()
        if not os.path.exists(self.path):
            return False
        connection = dbapi().connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout = {_FINISH_WAIT_MS}")
            with self._writers:
                busy, _logged, _copied = connection.execute(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).fetchone()
            return bool(busy == 0)
        except dbapi().Error:
            return False
        finally:
            connection.close()

    def _run(self, stop: threading.Event) -> None:
        connection: Any = None
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
                    connection = dbapi().connect(
                        self.path, isolation_level=None, check_same_thread=False
                    )
                # A busy or vanished database is left to the next pass.
                with contextlib.suppress(dbapi().Error):
                    self.checkpoint(connection)
                    self.passes += 1
        finally:
            with self._lock:
                if self._stop is stop:
                    self._running_in = 0
            if connection is not None:
                connection.close()

    def checkpoint(self, connection: Any) -> bool:
        """One pass: copy the log into the database with the writers held off. Whether the
        whole log was copied (the next write then restarts it from its beginning).

        PASSIVE never waits for readers: frames a reader's snapshot still needs stay in the
        log for a later pass.
        """
        with self._writers:
            _busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return bool(copied >= logged >= 0)  # -1: not in WAL mode


_all: weakref.WeakSet[Checkpointer] = weakref.WeakSet()


def finish_all() -> None:
    """Truncate the log of every database this process wrote (a clean exit, a server stop)."""
    for checkpointer in list(_all):
        checkpointer.finish()


# Also called at the end of the fluent API's exit handler, after it ended the active runs:
# handlers run last-registered first, and this module is imported after that one.
atexit.register(finish_all)
