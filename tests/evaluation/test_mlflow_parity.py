"""The same evaluation with the real mlflow (its own venv, a subprocess, its own tracking DB)
gives the same metric names and values as runwell's, for a binary classifier and a regressor.

Both evaluate one model directory runwell saved (MLflow reads runwell's sklearn models), so
the fitted estimators are the same objects.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

import runwell.sklearn
from runwell.evaluation import evaluate
from tests.evaluation.builders import (
    binary_frame,
    classifier,
    multiclass_frame,
    regression_frame,
    regressor,
)

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3.x)"),
]

SCRIPT = """
import json, sys, warnings
import pandas as pd
import mlflow
warnings.simplefilter("ignore")
out = {}
for name, target, kind in json.loads(sys.argv[1]):
    frame = pd.read_csv(f"{name}.csv")
    result = mlflow.models.evaluate(
        name, frame, targets=target, model_type=kind,
        evaluator_config={"log_model_explainability": False},
    )
    out[name] = {k: float(v) for k, v in result.metrics.items()}
print(json.dumps(out))
"""


def _mlflow_metrics(cases: list[tuple[str, str, str]], cwd: Path) -> dict[str, dict[str, float]]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "RUNWELL_", "PYTHON"))
    }
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{cwd}/mlflow.db"
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", textwrap.dedent(SCRIPT), json.dumps(cases)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    parsed: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def test_runwell_and_mlflow_log_the_same_metrics(tmp_path: Path) -> None:
    work = tmp_path / "shared"
    work.mkdir()
    frames = {
        "binary": (binary_frame(), "label", "classifier"),
        "multiclass": (multiclass_frame(), "label", "classifier"),
        "regression": (regression_frame(), "y", "regressor"),
    }
    ours = {}
    for name, (frame, target, kind) in frames.items():
        model = regressor(frame) if kind == "regressor" else classifier(frame)
        runwell.sklearn.save_model(model, work / name, serialization_format="cloudpickle")
        frame.to_csv(work / f"{name}.csv", index=False)
        ours[name] = evaluate(str(work / name), frame, targets=target, model_type=kind).metrics

    theirs = _mlflow_metrics([(n, t, k) for n, (_, t, k) in frames.items()], work)
    for name in frames:
        assert sorted(ours[name]) == sorted(theirs[name]), name
        for metric, value in theirs[name].items():
            assert ours[name][metric] == pytest.approx(value, rel=1e-6, abs=1e-6), (name, metric)
