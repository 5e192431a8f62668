"""MLflow's own client (3.x, in .venv-mlflow) tracking against a runwell server.

The flow runs in a subprocess of MLflow's interpreter; the test then reads what it logged
back through the server's store.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from runwell.entities import RunStatus
from tests.mlflow_server import MLFLOW_PYTHON, mlflow_client_env
from tests.server.conftest import Live, StartLive

ROOT = Path(__file__).resolve().parents[2]
FLOWS = Path(__file__).with_name("mlflow_flows")


def run_flow(live: Live, script: str, work: Path) -> dict[str, object]:
    """Run ``mlflow_flows/<script>`` with MLflow's client pointed at ``live``."""
    env = mlflow_client_env(live.url)
    work.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(MLFLOW_PYTHON), str(FLOWS / script), str(work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_mlflow_client_basic_flow(start_live: StartLive, db_url: str, tmp_path: Path) -> None:
    live = start_live(db_url=db_url)
    seen = run_flow(live, "basic_flow.py", tmp_path / "work")
    run_id, other_id = str(seen["run_id"]), str(seen["other_id"])

    assert seen["search_ids"] == [other_id, run_id]
    assert seen["history"] == [[s, 1.0 / (s + 1)] for s in range(5)]
    assert seen["listed"] == ["cfg", "hello.txt", "notes.txt", "sub"]
    assert seen["listed_sub"] == ["sub/hello.txt"]
    assert seen["one"] == "hello from mlflow"
    assert seen["all"] == ["cfg/config.json", "hello.txt", "notes.txt", "sub/hello.txt"]
    assert seen["loaded"] == {"layers": [1, 2]}
    assert (seen["deleted_stage"], seen["restored_stage"]) == ("deleted", "active")
    assert seen["status"] == "FINISHED"

    store = live.store
    experiment = store.find_experiment_by_name("interop")
    assert experiment is not None
    assert experiment.experiment_id == seen["experiment_id"]
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.experiment_id}"
    run = store.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.info.run_name == "first"
    assert run.data.param_dict == {
        "alpha": "0.5",
        "l1": "1",
        "solver": "sgd",
        "batch_param": "v",
    }
    metrics = run.data.metric_dict
    assert metrics["loss"] == 0.2
    assert (metrics["acc"], metrics["f1"], metrics["batch"]) == (0.9, 0.8, 3.0)
    assert math.isnan(metrics["weird"])
    tags = run.data.tag_dict
    assert tags["team"] == "vision" and tags["a"] == "1" and tags["batch_tag"] == "t"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.runName"] == "first"
    run_dir = live.artifacts / experiment.experiment_id / run_id / "artifacts"
    assert (run_dir / "hello.txt").read_text() == "hello from mlflow"
    assert json.loads((run_dir / "cfg" / "config.json").read_text()) == {"layers": [1, 2]}
    assert (run_dir / "notes.txt").read_text() == "some notes"
    assert [m.step for m in store.get_metric_history(run_id, "loss").items] == list(range(5))
