"""Asynchronous logging: validated in the caller, committed in the background, never lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import runwell
from runwell.errors import InvalidArgument


def test_async_points_are_visible_to_reads_and_after_end_run() -> None:
    with runwell.start_run() as run:
        for i in range(2500):
            runwell.log_metric("m", float(i), step=i, synchronous=False)
        runwell.log_params({"p": 1}, synchronous=False)
        runwell.log_metrics({"a": 1.0, "b": 2.0}, step=1, synchronous=False)
        mid = runwell.get_run(run.info.run_id)  # a read flushes first
        assert mid.data.metric_dict["m"] == 2499.0
    client = runwell.RunwellClient()
    history = client.get_metric_history(run.info.run_id, "m")
    assert [p.value for p in history] == [float(i) for i in range(2500)]
    assert client.get_run(run.info.run_id).data.param_dict == {"p": "1"}


def test_async_mode_still_rejects_bad_input_in_the_caller() -> None:
    with runwell.start_run():
        with pytest.raises(InvalidArgument, match="names may only contain"):
            runwell.log_metric("bad$key", 1.0, synchronous=False)
        with pytest.raises(InvalidArgument, match="loss"):
            runwell.log_metric("loss", "x", synchronous=False)  # type: ignore[arg-type]


def test_background_failure_surfaces_on_the_next_call() -> None:
    with runwell.start_run() as run:
        runwell.log_params({"p": 1}, synchronous=False)
        runwell.flush_async_logging()
        runwell.log_params({"p": 2}, synchronous=False)  # conflicts when written
        with pytest.raises(InvalidArgument, match="Changing param values"):
            runwell.flush_async_logging()
    assert runwell.get_run(run.info.run_id).data.param_dict == {"p": "1"}


def test_env_switch_and_exit_flush(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import runwell\n"
        "run = runwell.start_run()\n"
        "for i in range(3000):\n"
        "    runwell.log_metric('m', i, step=i)\n"
        "print(run.info.run_id)\n"  # no end_run: the exit hooks flush and finish the run
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**__import__("os").environ, "RUNWELL_ENABLE_ASYNC_LOGGING": "true"},
        check=True,
        capture_output=True,
        text=True,
    )
    run_id = done.stdout.strip()
    run = runwell.get_run(run_id)
    assert run.info.status.name == "FINISHED"
    assert len(runwell.RunwellClient().get_metric_history(run_id, "m")) == 3000
