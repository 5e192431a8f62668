"""The runwell client against a real ``mlflow server`` (from .venv-mlflow): the same protocol."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

import runwell
from runwell import artifacts
from runwell.entities import RunStatus
from runwell.errors import InvalidArgument, NotFound
from tests.mlflow_server import MLFLOW
from tests.mlflow_server import mlflow_server as stock_mlflow_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MLFLOW.exists(), reason="needs .venv-mlflow (make mlflow-env)"),
]


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``mlflow server`` for the module (it takes seconds to start)."""
    home = tmp_path_factory.mktemp("mlflow-server")
    backend = f"sqlite:///{home}/mlflow.db"
    with stock_mlflow_server(home, backend, artifacts=home / "mlartifacts", limit_s=90) as url:
        yield url


@pytest.fixture
def mlflow_server(mlflow_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The module's server as this test's tracking URI; runs end before the next test."""
    monkeypatch.setenv("RUNWELL_TRACKING_URI", mlflow_url)
    yield mlflow_url
    while runwell.active_run() is not None:
        runwell.end_run()
    runwell.flush()


def test_the_client_tracks_into_an_mlflow_server(mlflow_server: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello mlflow")
    experiment = runwell.set_experiment(f"interop-{tmp_path.name}")
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.experiment_id}"
    with runwell.start_run(run_name="r1") as run:
        runwell.log_params({"alpha": 0.5, "depth": 3})
        for step in range(3000):
            runwell.log_metric("loss", 1 / (step + 1), step=step)
        runwell.log_metric("nan", math.nan)
        runwell.set_tag("team", "vision")
        runwell.log_artifact(str(tmp_path / "notes.txt"))
        runwell.log_dict({"k": [1, 2]}, "config.json")
    client = runwell.RunwellClient()
    stored = client.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FINISHED and stored.info.run_name == "r1"
    assert stored.data.param_dict == {"alpha": "0.5", "depth": "3"}
    assert stored.data.tag_dict["team"] == "vision" and math.isnan(stored.data.metric_dict["nan"])
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(3000))
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == [
        "config.json",
        "notes.txt",
    ]
    assert artifacts.load_text(f"runs:/{run.info.run_id}/notes.txt") == "hello mlflow"
    assert artifacts.load_dict(f"runs:/{run.info.run_id}/config.json") == {"k": [1, 2]}
    frame = runwell.search_runs(filter_string="metrics.loss < 0.001")  # in the active experiment
    assert list(frame["run_id"]) == [run.info.run_id]
    with pytest.raises(NotFound, match="0123abc"):
        client.get_run("0123abc")


def test_mlflow_servers_refusals_surface_like_runwells(mlflow_server: str) -> None:
    with pytest.raises(InvalidArgument, match="Changing param values"):  # noqa: PT012
        with runwell.start_run() as run:
            runwell.log_param("p", 1, synchronous=True)
            runwell.log_param("p", 2)
            runwell.log_metric("kept", 1.0)
    stored = runwell.RunwellClient().get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FAILED and stored.data.metric_dict == {"kept": 1.0}
