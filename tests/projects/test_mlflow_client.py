"""The real mlflow client, inside a project's process, logs into the run made for it.

runwell tracks into a live runwell server here; the project's command runs a script with the
interpreter of .venv-mlflow (mlflow 3.x), which finds its run through MLFLOW_RUN_ID and the
server through MLFLOW_TRACKING_URI, as it does under ``mlflow run``.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import runwell
import runwell.projects
from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve
from tests.projects.builders import make_project

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"

LOG_WITH_MLFLOW = textwrap.dedent(
    """
    import os, sys
    import mlflow
    given = os.environ["MLFLOW_RUN_ID"]  # mlflow takes it out of the environment once used
    with mlflow.start_run() as run:
        assert run.info.run_id == given, (run.info.run_id, given)
        mlflow.log_metric("from_mlflow", float(sys.argv[1]))
        mlflow.set_tag("client", "mlflow")
    """
)


@pytest.fixture
def server_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/server.db", "mlflow-artifacts:")
    with serve(create_app(store, str(tmp_path / "server-artifacts"))) as url:
        monkeypatch.setenv("RUNWELL_TRACKING_URI", url)
        yield url


@pytest.mark.skipif(
    not MLFLOW_PYTHON.exists() and os.environ.get("CI") != "true",
    reason="needs .venv-mlflow (make mlflow-env)",
)
def test_the_mlflow_client_in_a_project_logs_into_its_run(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    project = make_project(
        tmp_path / "p",
        "entry_points:\n  main:\n    parameters: {python: path, value: float}\n"
        "    command: '{python} log.py {value}'\n",
        {"log.py": LOG_WITH_MLFLOW},
    )
    submitted = runwell.projects.run(
        str(project), parameters={"python": str(MLFLOW_PYTHON), "value": "2.5"}
    )
    run = runwell.RunwellClient(server_url).get_run(submitted.run_id)
    assert run.info.status == runwell.RunStatus.FINISHED
    assert run.data.metric_dict == {"from_mlflow": 2.5}
    assert run.data.tag_dict["client"] == "mlflow"
    assert run.data.tag_dict["mlflow.source.type"] == "PROJECT"
    listed = runwell.RunwellClient(server_url).list_artifacts(submitted.run_id, "project-logs")
    assert sorted(f.path for f in listed) == ["project-logs/stderr.txt", "project-logs/stdout.txt"]
