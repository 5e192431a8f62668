"""A run started while the server is down is journaled from its first call and synced later."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import runwell
from runwell.cli import main
from runwell.store.sql.tracking import SqlTrackingStore
from tests.offline.server_process import Restartable


def test_a_run_started_with_the_server_down_loses_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "server"
    directory.mkdir()
    server = Restartable(directory)  # not started: nothing listens on its port yet
    runwell.set_tracking_uri(server.url)
    with runwell.start_run(run_name="unreachable") as run:
        runwell.log_param("alpha", "0.5")
        for step in range(500):
            runwell.log_metric("loss", 1 / (step + 1), step=step)
    assert "Cannot reach the tracking server" in caplog.text
    assert run.info.run_id in caplog.text

    server.start()
    try:
        synced = CliRunner().invoke(main, ["sync", "--tracking-uri", server.url])
        assert synced.exit_code == 0, synced.output
        store = SqlTrackingStore(f"sqlite:///{server.db}", "mlflow-artifacts:")
        (found,) = store.search_runs(["0"], "attributes.run_name = 'unreachable'").items
        history = store.get_metric_history(found.info.run_id, "loss").items
        assert [m.step for m in history] == list(range(500))
        assert found.data.param_dict == {"alpha": "0.5"}
        assert found.info.status.name == "FINISHED"
        again = CliRunner().invoke(main, ["sync", "--tracking-uri", server.url])
        assert again.exit_code == 0, again.output
        assert len(store.get_metric_history(found.info.run_id, "loss").items) == 500
        store.engine.dispose()
    finally:
        server.stop()
