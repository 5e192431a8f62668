"""An offline client SIGKILLed mid-run: ``runwell sync`` delivers every point it acknowledged.

The client logs in offline mode and prints how many points ``flush()`` acknowledged (they are
committed to its journal); it is killed without warning while logging more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from runwell.cli import main
from runwell.entities import RunStatus
from runwell.store.journal.sync import JOURNAL_RUN_TAG
from tests.offline.conftest import LiveServer

_CLIENT = textwrap.dedent(
    """
    import runwell

    runwell.set_experiment("crash")
    runwell.start_run()
    runwell.log_param("seed", 7)
    step = 0
    while True:
        for _ in range(500):
            runwell.log_metric("loss", step / 3, step=step)
            step += 1
        runwell.flush()
        print(step, flush=True)
    """
)


def test_a_killed_offline_client_leaves_every_acknowledged_point_for_sync(
    live_server: LiveServer, spool: Path, tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    environ.update(
        RUNWELL_MODE="offline",
        RUNWELL_SPOOL_DIR=str(spool),
        RUNWELL_TRACKING_URI=live_server.url,
        RUNWELL_CAPTURE_GIT="0",
    )
    client = subprocess.Popen(
        [sys.executable, "-c", _CLIENT],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None
    acknowledged = 0
    for line in client.stdout:
        acknowledged = int(line)
        if acknowledged >= 20_000:
            break
    client.kill()  # SIGKILL while it logs the next points
    client.wait()
    client.stdout.close()

    # No --tracking-uri and no RUNWELL_TRACKING_URI: the journal knows its server.
    result = CliRunner().invoke(main, ["sync"], env={"RUNWELL_TRACKING_URI": None})
    assert result.exit_code == 0, result.output
    assert "killed before ending the run: ended KILLED" in result.stdout
    experiment = live_server.store.find_experiment_by_name("crash")
    assert experiment is not None
    (run,) = live_server.store.search_runs([experiment.experiment_id]).items
    assert JOURNAL_RUN_TAG in run.data.tag_dict
    assert run.data.param_dict == {"seed": "7"}
    assert run.info.status is RunStatus.KILLED
    history = live_server.store.get_metric_history(run.info.run_id, "loss").items
    steps = [m.step for m in history]
    # Every acknowledged point, once; points logged after it may be there too (they were
    # committed before the kill), in order and each once.
    assert steps == list(range(len(steps)))
    assert len(steps) >= acknowledged >= 20_000
    assert all(m.value == m.step / 3 for m in history)
    again = CliRunner().invoke(main, ["sync", "--tracking-uri", live_server.url])
    assert "already synced" in again.stdout
