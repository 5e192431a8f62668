"""A server stopped cleanly leaves ``runwell.db`` self-contained: a plain copy is a backup.

Before, every row stayed in ``runwell.db-wal`` after SIGTERM and the 4 KB database file held
none of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from runwell.store.sql.tracking import SqlTrackingStore
from tests.offline.server_process import Restartable


def _log_over_http(url: str, batches: int) -> str:
    with httpx.Client(base_url=url + "/api/2.0/mlflow", timeout=30) as http:
        created = http.post("/experiments/create", json={"name": "shutdown"})
        experiment_id = created.json()["experiment_id"]
        run = http.post("/runs/create", json={"experiment_id": experiment_id, "start_time": 1})
        run_id = str(run.json()["run"]["info"]["run_id"])
        for batch in range(batches):
            metrics = [
                {"key": "m", "value": float(step), "timestamp": 1, "step": step}
                for step in range(batch * 1000, (batch + 1) * 1000)
            ]
            answer = http.post("/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
            assert answer.status_code == 200, answer.text
    return run_id


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 4])
def test_sigterm_leaves_every_row_in_the_database_file(tmp_path: Path, workers: int) -> None:
    server = Restartable(tmp_path, workers=workers)
    server.start()
    try:
        run_id = _log_over_http(server.url, batches=30)
    finally:
        server.stop()  # SIGTERM
    wal = server.db.with_name(server.db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "backup" / "server.db"
    copy.parent.mkdir()
    shutil.copyfile(server.db, copy)  # the file alone, as a user copies it
    store = SqlTrackingStore(f"sqlite:///{copy}", "mlflow-artifacts:")
    steps = [m.step for m in store.get_metric_history(run_id, "m").items]
    assert steps == list(range(30_000))


_FLUENT_SCRIPT = """
import sys
import runwell
from runwell.entities import Metric

runwell.set_tracking_uri(sys.argv[1])
with runwell.start_run() as run:
    client = runwell.RunwellClient()
    for start in range(0, 20_000, 1000):
        steps = range(start, start + 1000)
        points = [Metric(key="m", value=float(s), timestamp=1, step=s) for s in steps]
        client.log_batch(run.info.run_id, metrics=points)
print(run.info.run_id)
"""


@pytest.mark.slow
def test_a_fluent_process_that_exits_leaves_the_file_self_contained(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "runwell.db"
    done = subprocess.run(
        [sys.executable, "-c", _FLUENT_SCRIPT, f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    wal = db.with_name("runwell.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy" / "runwell.db"
    copy.parent.mkdir()
    shutil.copyfile(db, copy)
    store = SqlTrackingStore(f"sqlite:///{copy}", "file:///unused")
    assert len(store.get_metric_history(run_id, "m").items) == 20_000
    assert store.get_run(run_id).info.status.name == "FINISHED"
