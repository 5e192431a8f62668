"""Several processes on one embedded SQLite store: no lock errors, no lost or doubled points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import runwell
from runwell.entities import RunStatus

WRITER = textwrap.dedent(
    """
    import sys, runwell
    from runwell.entities import Metric
    worker, points = int(sys.argv[1]), int(sys.argv[2])
    runwell.set_experiment("concurrent")
    client = runwell.RunwellClient()
    with runwell.start_run(run_name=f"w{worker}") as run:
        for i in range(points):
            runwell.log_metric("step_metric", float(i), step=i)
            if i % 50 == 0:
                batch = [Metric(key="batched", value=float(i + j), timestamp=1000 + i, step=i + j)
                         for j in range(50)]
                client.log_batch(run.info.run_id, metrics=batch)
                runwell.set_tag(f"t{i}", worker)
    print("done", worker)
    """
)


@pytest.mark.slow
def test_eight_processes_log_into_one_sqlite_store(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    points = 400
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(worker), str(points)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(8)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err
    runs = runwell.search_runs(experiment_names=["concurrent"], output_format="list")
    assert len(runs) == 8
    client = runwell.RunwellClient()
    for run in runs:
        assert isinstance(run, runwell.Run)
        assert run.info.status is RunStatus.FINISHED
        history = client.get_metric_history(run.info.run_id, "step_metric")
        assert [m.value for m in history] == [float(i) for i in range(points)]
        batched = client.get_metric_history(run.info.run_id, "batched")
        assert len(batched) == points
        assert run.data.metric_dict["batched"] == float(points - 1)


KILLED = textwrap.dedent(
    """
    import sys, runwell
    with runwell.start_run(run_name="victim") as run:
        print(run.info.run_id, flush=True)
        i = 0
        while True:
            runwell.log_metric("m", float(i), step=i)
            if i == 200:
                print("ready", flush=True)
            i += 1
    """
)


@pytest.mark.slow
def test_killed_process_leaves_a_readable_store_with_committed_points(tmp_path: Path) -> None:
    script = tmp_path / "victim.py"
    script.write_text(KILLED)
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    client = runwell.RunwellClient()
    run = client.get_run(run_id)
    assert run.info.status is RunStatus.RUNNING
    history = client.get_metric_history(run_id, "m")
    # Every committed point is there, in order, with no gap and no duplicate.
    assert len(history) > 200
    assert [m.value for m in history] == [float(i) for i in range(len(history))]
    assert run.data.metric_dict["m"] == float(len(history) - 1)
    client.set_terminated(run_id, "FAILED")
    assert client.get_run(run_id).info.status is RunStatus.FAILED
