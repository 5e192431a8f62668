"""``runwell run``: the real command, in process (CliRunner) and as a process (Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import runwell
from runwell.cli import main
from tests.projects.builders import all_runs, reporter_project, run_of

RUNWELL = str(Path(sys.executable).parent / "runwell")


def invoke(*args: str) -> Result:
    uri = os.environ["RUNWELL_TRACKING_URI"]
    return CliRunner().invoke(main, ["--tracking-uri", uri, *args], catch_exceptions=False)


def test_run_prints_the_run_and_its_status(tmp_path: Path) -> None:
    project = reporter_project(tmp_path / "p")
    result = invoke(
        "run", str(project), "-P", "name=a b", "-P", "extra=x=y", "--run-name", "from-cli",
        "--experiment-name", "cli", "--env-manager", "local",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (run,) = all_runs()
    assert f"Run {run.info.run_id} FINISHED" in result.stderr
    assert '"--name", "a b", "--extra", "x=y"' in result.stdout  # the project's own output
    assert run.info.run_name == "from-cli"
    assert run.data.param_dict["extra"] == "x=y"
    experiment = runwell.get_experiment_by_name("cli")
    assert experiment is not None and run.info.experiment_id == experiment.experiment_id


def test_a_failed_run_exits_non_zero(tmp_path: Path) -> None:
    project = reporter_project(tmp_path / "p")
    result = invoke("run", str(project), "-e", "fail")
    assert result.exit_code == 1
    (run,) = all_runs()
    assert f"Error: Run {run.info.run_id} FAILED" in result.stderr
    assert run.info.status == runwell.RunStatus.FAILED


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-P", "name"], 2, "'name' is not KEY=VALUE"),
        (["-e", "nope"], 1, "Error: Unknown entry point 'nope'"),
        (["-P", "name=x", "-P", "alpha=x"], 1, "Error: Invalid value 'x' for parameter 'alpha'"),
        (["--env-manager", "pip"], 2, "Invalid value for '--env-manager'"),
        (["--experiment-name", "a", "--experiment-id", "0", "-P", "name=x"], 2, "at most one"),
    ],
)
def test_bad_input_is_reported_without_a_run(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    project = reporter_project(tmp_path / "p")
    result = invoke("run", str(project), *args)
    assert (result.exit_code, message in result.stderr) == (code, True), result.stderr
    assert all_runs() == []


def test_a_missing_project_is_not_found(tmp_path: Path) -> None:
    result = invoke("run", str(tmp_path / "absent"))
    assert result.exit_code == 3
    assert "Error: No project at" in result.stderr


def test_ctrl_c_kills_the_project_and_its_children(tmp_path: Path) -> None:
    project = reporter_project(tmp_path / "p")
    marker = tmp_path / "marker"
    marker.mkdir()
    process = subprocess.Popen(
        [RUNWELL, "run", str(project), "-e", "sleep", "-P", f"marker={marker}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (marker / "started").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the project did not start"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode != 0
    (run,) = all_runs()
    assert run.info.status == runwell.RunStatus.KILLED, err
    assert run_of(run.info.run_id).data.tag_dict["mlflow.project.entryPoint"] == "sleep"
    # the sleeping python is gone: nothing is left in the project's process group
    leftover = subprocess.run(["pgrep", "-f", f"sleep.py {marker}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
