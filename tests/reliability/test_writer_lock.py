"""The SQLite writer lock: one writer at a time across threads and processes, handed over."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from runwell.store.sql.writer_lock import WriterLock, writer_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")

HOLDER = textwrap.dedent(
    """
    import sys, time
    from runwell.store.sql.writer_lock import writer_lock
    lock = writer_lock(sys.argv[1])
    with lock:
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", time.monotonic(), flush=True)
    """
)


def test_another_process_waits_for_the_holder_and_gets_the_lock_when_released(
    tmp_path: Path,
) -> None:
    database = str(tmp_path / "runwell.db")
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, database, "0.5"], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with writer_lock(database):
            acquired = time.monotonic()
        released = float(holder.stdout.readline().split()[1])
    assert acquired - began > 0.3  # it waited for the other process
    assert acquired - released < 0.1  # and got the lock as soon as it was free
    assert Path(database + "-lock").exists()


def test_threads_take_turns_and_a_thread_may_reenter() -> None:
    lock = WriterLock(None)  # in memory: threads only
    inside = []
    overlaps = []

    def work() -> None:
        for _ in range(200):
            with lock, lock:  # re-entrant
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_a_forked_child_has_its_own_lock(tmp_path: Path) -> None:
    database = str(tmp_path / "runwell.db")
    lock = writer_lock(database)
    with lock:
        pid = os.fork()
        if pid == 0:  # the child must wait for the parent, not share its flock
            code = 0
            try:
                child = writer_lock(database)
                began = time.monotonic()
                with child:
                    code = 0 if time.monotonic() - began > 0.2 else 1
            finally:
                os._exit(code)
        time.sleep(0.4)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
