"""The background checkpointer: it copies the WAL back while writes go on, then goes away."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runwell.entities import Metric
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
