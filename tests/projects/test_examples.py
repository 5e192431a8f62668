"""The shipped example projects run as their READMEs say, and log what they promise.

examples/wine (the ElasticNet tutorial as a project) and examples/multistep (load_data ->
featurize -> train, driven by main as nested project runs) run for real: with
``--env-manager local`` in the fast group, in the virtualenvs their python_env.yaml describes
in the slow group (one environment, shared by both examples, built once per session).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import runwell
import runwell.artifacts
import runwell.pyfunc
from runwell.cli import main
from runwell.entities import RunStatus
from runwell.errors import InvalidArgument
from runwell.projects import ProjectRunFailed, run
from tests.projects.builders import all_runs, run_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WINE = EXAMPLES / "wine"
MULTISTEP = EXAMPLES / "multistep"
PARENT = "mlflow.parentRunId"
ENTRY_POINT = "mlflow.project.entryPoint"


def wine_module() -> Any:
    """examples/wine/train.py as a module, for its data generator."""
    spec = importlib.util.spec_from_file_location("wine_train", WINE / "train.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_wine_run(run_id: str, alpha: str, l1_ratio: str) -> None:
    found = run_of(run_id)
    assert found.info.status is RunStatus.FINISHED
    assert found.data.param_dict == {"alpha": alpha, "l1_ratio": l1_ratio}
    metrics = found.data.metric_dict
    assert set(metrics) == {"rmse", "mae", "r2"}
    assert 0.3 < metrics["mae"] < metrics["rmse"] < 1.0
    assert 0.05 < metrics["r2"] < 0.8
    wines = wine_module().make_wine_data().drop(columns="quality").head(4)
    predicted = runwell.pyfunc.load_model(f"runs:/{run_id}/model").predict(wines)
    assert len(predicted) == 4
    assert all(3.0 < float(p) < 8.0 for p in predicted)


def test_wine_example_runs_from_the_cli_and_logs_params_metrics_and_model() -> None:
    result = CliRunner().invoke(
        main,
        ["run", str(WINE), "--env-manager", "local", "-P", "alpha=0.2", "-P", "l1_ratio=0.4"],
    )
    assert result.exit_code == 0, result.stderr
    assert "ElasticNet(alpha=0.2, l1_ratio=0.4) on 1,599 wines" in result.stdout
    [found] = all_runs()
    assert found.data.tag_dict[ENTRY_POINT] == "main"
    assert found.data.tag_dict["mlflow.source.type"] == "PROJECT"
    check_wine_run(found.info.run_id, "0.2", "0.4")


def test_wine_example_refuses_a_parameter_that_is_not_a_number() -> None:
    with pytest.raises(InvalidArgument, match=r"'l1_ratio' \(type float\): expected a number"):
        run(str(WINE), env_manager="local", parameters={"l1_ratio": "lots"})
    assert all_runs() == []


def test_wine_data_looks_like_the_wine_quality_table() -> None:
    data = wine_module().make_wine_data()
    assert data.shape == (1599, 12)
    assert {"fixed acidity", "volatile acidity", "pH", "sulphates", "alcohol"} <= set(data)
    assert data["quality"].between(3, 8).all()
    assert data["quality"].nunique() >= 5
    assert data.corr()["quality"]["alcohol"] > 0.3


def check_multistep(parent_id: str, rows: int) -> dict[str, runwell.Run]:
    """The parent and its three step runs, checked; the steps by entry point."""
    parent = run_of(parent_id)
    assert parent.info.status is RunStatus.FINISHED
    runs = [r for r in all_runs() if r.data.tag_dict.get(PARENT) == parent_id]
    steps = {r.data.tag_dict[ENTRY_POINT]: r for r in runs}
    assert len(runs) == 3
    assert sorted(steps) == ["featurize", "load_data", "train"]
    for step in steps.values():
        assert step.data.tag_dict[PARENT] == parent_id
        assert step.info.status is RunStatus.FINISHED
        assert step.info.experiment_id == parent.info.experiment_id
        assert parent.data.tag_dict[f"multistep.{step.data.tag_dict[ENTRY_POINT]}"] == (
            step.info.run_id
        )
    load, featurize, train = steps["load_data"], steps["featurize"], steps["train"]
    assert load.data.param_dict == {"rows": str(rows), "seed": "7"}
    assert load.data.metric_dict["rows"] == rows
    raw = runwell.artifacts.load_text(f"runs:/{load.info.run_id}/raw/rentals.csv")
    assert len(raw.splitlines()) == rows + 1
    assert featurize.data.param_dict["raw_data"] == f"runs:/{load.info.run_id}/raw/rentals.csv"
    assert featurize.data.metric_dict["train_rows"] == int(rows * 0.8)
    assert train.data.param_dict["features"] == f"runs:/{featurize.info.run_id}/features"
    assert train.data.metric_dict["r2"] > 0.5
    assert parent.data.metric_dict == train.data.metric_dict
    features = runwell.artifacts.download_artifacts(
        f"runs:/{featurize.info.run_id}/features/test.csv"
    )
    test = pd.read_csv(features).drop(columns="rentals").head(3)
    model = runwell.pyfunc.load_model(f"runs:/{train.info.run_id}/model")
    assert len(model.predict(test)) == 3
    return steps


def test_multistep_example_runs_three_nested_steps_passing_artifacts_by_uri() -> None:
    submitted = run(str(MULTISTEP), env_manager="local", parameters={"rows": 1000})
    assert submitted.get_status() == "FINISHED"
    check_multistep(submitted.run_id, 1000)


def test_multistep_example_stops_at_the_step_that_fails() -> None:
    with pytest.raises(ProjectRunFailed) as failed:
        run(str(MULTISTEP), env_manager="local", parameters={"rows": 10})
    parent = run_of(failed.value.run_id)
    assert parent.info.status is RunStatus.FAILED
    [step] = [r for r in all_runs() if r.info.run_id != parent.info.run_id]
    assert step.data.tag_dict[ENTRY_POINT] == "load_data"
    assert step.data.tag_dict[PARENT] == parent.info.run_id
    assert step.info.status is RunStatus.FAILED
    logs = runwell.artifacts.load_text(f"runs:/{step.info.run_id}/project-logs/stderr.txt")
    assert "--rows must be at least 100" in logs


@pytest.mark.slow
def test_examples_in_their_virtualenv_share_one_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_root = tmp_path / "envs"
    monkeypatch.setenv("RUNWELL_ENV_ROOT", str(env_root))
    wine = run(str(WINE))  # python_env: virtualenv by default; builds the environment
    assert run_of(wine.run_id).data.tag_dict["mlflow.project.env"] == "virtualenv"
    check_wine_run(wine.run_id, "0.5", "0.1")
    built = sorted(p.name for p in env_root.iterdir() if not p.name.startswith("."))
    assert len(built) == 1

    multistep = run(str(MULTISTEP), parameters={"rows": 2000})
    assert run_of(multistep.run_id).data.tag_dict["mlflow.project.env"] == "virtualenv"
    check_multistep(multistep.run_id, 2000)
    assert sorted(p.name for p in env_root.iterdir() if not p.name.startswith(".")) == built
