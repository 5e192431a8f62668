"""examples/quickstart.py runs as a script and logs what it promises; the CLI lists it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runwell
from runwell.entities import RunStatus
from tests.cli.conftest import Invoke

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


@pytest.mark.slow
def test_quickstart_logs_runs_params_metrics_inputs_and_plots(
    tmp_path: Path, tracking_uri: str, client: runwell.RunwellClient, cli: Invoke
) -> None:
    env = {**os.environ, "RUNWELL_TRACKING_URI": tracking_uri, "RUNWELL_CAPTURE_GIT": "0"}
    done = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Logged 3 runs to 'quickstart'" in done.stdout

    experiment = client.get_experiment_by_name("quickstart")
    assert experiment is not None
    runs = list(client.search_runs(experiment.experiment_id))
    assert len(runs) == 3
    assert {r.info.run_name for r in runs} == {
        "sgd-logreg-alpha-0.0001",
        "sgd-logreg-alpha-0.01",
        "sgd-logreg-alpha-0.3",
    }
    for run in runs:
        assert run.info.status is RunStatus.FINISHED
        assert run.data.param_dict["model"] == "SGDClassifier"
        assert {"accuracy", "f1_macro", "train_loss", "val_accuracy"} <= set(run.data.metric_dict)
        assert 0.8 <= run.data.metric_dict["accuracy"] <= 1.0
        history = client.get_metric_history(run.info.run_id, "val_accuracy")
        assert [m.step for m in history] == list(range(1, 16))
        [used] = run.inputs.dataset_inputs
        assert used.dataset.name == "wine"
        assert {t.key: t.value for t in used.tags}["mlflow.data.context"] == "training"
        [plot] = client.list_artifacts(run.info.run_id)
        assert plot.path == "confusion_matrix.png"
        png = Path(client.download_artifacts(run.info.run_id, plot.path, str(tmp_path / "dl")))
        assert png.read_bytes().startswith(b"\x89PNG")

    listed = cli("runs", "list", "--experiment-name", "quickstart", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 3
