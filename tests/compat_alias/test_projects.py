"""``runwell run --env-manager local`` runs an MLflow project whose code does ``import mlflow``.

The runner sets RUNWELL_MLFLOW_ALIAS=1 for the project's process when this Python has no real
mlflow, and leaves it alone otherwise or when the caller set it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runwell
import runwell.projects
from runwell.entities import RunStatus
from tests.projects.builders import all_runs, make_project

RUNWELL = str(Path(sys.executable).parent / "runwell")

MLPROJECT = textwrap.dedent(
    """
    name: plain-mlflow
    entry_points:
      main:
        command: "python train.py"
      report:
        command: "python report.py"
    """
)

TRAIN = textwrap.dedent(
    """
    import os
    import mlflow
    mlflow.log_param("a", 1)
    mlflow.log_metric("m", 2.0)
    mlflow.set_tag("alias", os.environ.get("RUNWELL_MLFLOW_ALIAS", "unset"))
    """
)

# Logs with runwell itself, so that it runs whatever the runner decided about the alias.
REPORT = textwrap.dedent(
    """
    import os, runwell
    runwell.set_tag("alias", os.environ.get("RUNWELL_MLFLOW_ALIAS", "unset"))
    """
)


def _runwell_run(project: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    uri = os.environ["RUNWELL_TRACKING_URI"]
    argv = [RUNWELL, "--tracking-uri", uri, "run", str(project), "--env-manager", "local"]
    return subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=120)


def test_an_mlflow_project_runs_on_runwell_with_env_manager_local(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", MLPROJECT, {"train.py": TRAIN})
    environ = {k: v for k, v in os.environ.items() if k != "RUNWELL_MLFLOW_ALIAS"}
    done = _runwell_run(project, environ)
    assert done.returncode == 0, done.stderr
    (run,) = all_runs()
    assert run.info.status == RunStatus.FINISHED
    assert run.data.param_dict == {"a": "1"}
    assert run.data.metric_dict == {"m": 2.0}
    assert run.data.tag_dict["alias"] == "1"


def test_the_callers_setting_of_the_variable_is_kept(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", MLPROJECT, {"train.py": TRAIN})
    done = _runwell_run(project, {**os.environ, "RUNWELL_MLFLOW_ALIAS": "0"})
    assert done.returncode == 1
    assert "No module named 'mlflow'" in done.stderr


def test_no_alias_is_asked_for_where_a_real_mlflow_is_importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "site" / "mlflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("REAL = True\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(fake.parent))  # the runner's Python finds "mlflow"
    monkeypatch.delenv("RUNWELL_MLFLOW_ALIAS", raising=False)
    project = make_project(tmp_path / "p", MLPROJECT, {"report.py": REPORT})
    submitted = runwell.projects.run(str(project), entry_point="report", env_manager="local")
    run = runwell.get_run(submitted.run_id)
    assert run.data.tag_dict["alias"] == "unset"
