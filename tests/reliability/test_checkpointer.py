"""The background checkpointer: it copies the WAL back while writes go on, then goes away."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from runwell.entities import Metric
from runwell.store import sqlite_driver
from runwell.store.sql import checkpointer
from runwell.store.sql.tracking import SqlTrackingStore


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_checkpoints_in_the_background_then_stops_when_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpointer, "IDLE_EXIT_S", 0.6)
    db = tmp_path / "runwell.db"
    store = SqlTrackingStore(f"sqlite:///{db}", tmp_path.as_uri())
    run_id = store.create_run("0", "alice", 1).info.run_id
    for step in range(300):
        store.log_metric(
            run_id, Metric(key="loss", value=1 / (step + 1), timestamp=step, step=step)
        )
    background = store.raw.checkpointer
    assert background is not None
    assert _wait_for(lambda: background.passes > 0, 5)
    # Once idle, the thread goes away (a process may open many databases).
    assert _wait_for(lambda: background._running_in == 0, 5)
    # The next write starts it again, and the data is intact.
    store.log_metric(run_id, Metric(key="loss", value=0.0, timestamp=999, step=999))
    assert background._running_in != 0
    assert len(store.get_metric_history(run_id, "loss").items) == 301


def _logged(tmp_path: Path, points: int = 2000) -> tuple[SqlTrackingStore, str, Path]:
    db = tmp_path / "runwell.db"
    store = SqlTrackingStore(f"sqlite:///{db}", tmp_path.as_uri())
    run_id = store.create_run("0", "alice", 1).info.run_id
    for start in range(0, points, 1000):
        batch = range(start, min(start + 1000, points))
        store.log_batch(
            run_id, metrics=[Metric(key="m", value=float(i), timestamp=i, step=i) for i in batch]
        )
    return store, run_id, db


def _in_thread(body: object) -> threading.Thread:
    thread = threading.Thread(target=body, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_every_checkpoint_waits_for_the_writer_lock(tmp_path: Path) -> None:
    """No checkpoint overlaps a write: the WAL-reset race (checkpointer.py) cannot happen."""
    store, _run_id, db = _logged(tmp_path)
    background = store.raw.checkpointer
    assert background is not None
    background.stop()
    connection = sqlite_driver.dbapi().connect(
        str(db), isolation_level=None, check_same_thread=False
    )
    results: list[bool] = []
    with store.raw.write_lock:  # a writer in its transaction (another thread: the RLock holds)
        thread = _in_thread(lambda: results.append(background.checkpoint(connection)))
        thread.join(0.5)
        assert thread.is_alive() and results == []
    thread.join(5)
    assert results == [True]
    finished: list[bool] = []
    with store.raw.write_lock:  # held before the finisher starts: it must wait for it
        finisher = _in_thread(lambda: finished.append(background.finish()))
        finisher.join(0.3)
        assert finisher.is_alive() and finished == []
    finisher.join(10)
    assert finished == [True]
    connection.close()


def test_sqlalchemy_write_transactions_hold_the_writer_lock(tmp_path: Path) -> None:
    store, _run_id, _db = _logged(tmp_path, points=1)
    created: list[str] = []
    with store.raw.write_lock:
        thread = _in_thread(lambda: created.append(store.create_experiment("held").experiment_id))
        thread.join(0.5)
        assert thread.is_alive() and created == []
    thread.join(10)
    assert len(created) == 1


def test_finish_leaves_the_database_file_self_contained(tmp_path: Path) -> None:
    store, run_id, db = _logged(tmp_path, points=20_000)
    background = store.raw.checkpointer
    assert background is not None
    assert background.finish()
    wal = db.with_name("runwell.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # The database file alone, copied as a user copies a backup, holds every point.
    copy = tmp_path / "copy" / "runwell.db"
    copy.parent.mkdir()
    shutil.copyfile(db, copy)
    copied = SqlTrackingStore(f"sqlite:///{copy}", tmp_path.as_uri())
    assert len(copied.get_metric_history(run_id, "m").items) == 20_000
