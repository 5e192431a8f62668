"""System metrics and context files of a run tracked on a live server: logged values go
through the background batching of the HTTP store, files through the artifact proxy."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import runwell
from runwell.server.app import create_app
from runwell.store import uri as uris
from runwell.store.sql.tracking import SqlTrackingStore
from runwell.tracking import fluent
from tests.live_server import serve


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/server.db", "mlflow-artifacts:")
    try:
        with serve(create_app(store, str(tmp_path / "server-artifacts"))) as url:
            monkeypatch.setenv("RUNWELL_TRACKING_URI", url)
            yield url
            while runwell.active_run() is not None:
                runwell.end_run()
            fluent.reset()
            uris.forget_stores()
    finally:
        store.engine.dispose()


@pytest.mark.usefixtures("server")
def test_a_server_run_gets_system_metrics_and_the_requirements_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.1")
    monkeypatch.setenv("RUNWELL_CAPTURE_CONTEXT", "true")
    monkeypatch.setenv("RUNWELL_CAPTURE_REQUIREMENTS", "true")
    with runwell.start_run(log_system_metrics=True) as run:
        assert run.async_default  # values to a server are batched in the background
        runwell.log_metric("loss", 0.5)
        time.sleep(0.35)
    assert not [t for t in threading.enumerate() if t.name.startswith("runwell-system")]
    client = runwell.RunwellClient()
    history = client.get_metric_history(run.info.run_id, "system/cpu_utilization_percentage")
    assert [m.step for m in history] == list(range(len(history))) and len(history) >= 2
    stored = client.get_run(run.info.run_id)
    assert stored.info.status is runwell.RunStatus.FINISHED
    assert stored.data.metric_dict["loss"] == 0.5
    files = [f.path for f in client.list_artifacts(run.info.run_id, "runwell-context")]
    assert files == ["runwell-context/requirements.txt"]
