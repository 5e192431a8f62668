"""A process killed in the middle of log_model leaves a model that is never taken for READY."""

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
import runwell.pyfunc
from runwell.entities import LoggedModelStatus, RunStatus
from runwell.errors import InvalidArgument

# Saving infers the signature by predicting on the input example: this predict says it has
# started and then hangs, so the parent can kill the process half-way through log_model.
_SCRIPT = """
import sys, time
import pandas as pd
import runwell, runwell.pyfunc

class Hangs(runwell.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        open(sys.argv[2], "w").close()
        time.sleep(600)
        return model_input

runwell.set_tracking_uri(sys.argv[1])
with runwell.start_run():
    runwell.pyfunc.log_model(
        "model", python_model=Hangs(), input_example=pd.DataFrame({"x": [1.0]}),
        registered_model_name="never",
    )
"""


def _wait_for(path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "log_model never reached predict"
        time.sleep(0.05)


def test_killed_log_model_stays_pending_and_is_neither_loaded_nor_registered(
    tmp_path: Path,
) -> None:
    uri = f"sqlite:///{tmp_path}/runwell.db"
    marker = tmp_path / "predicting"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT), uri, str(marker)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    client = runwell.RunwellClient(uri)
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    (model,) = client.search_logged_models([experiment.experiment_id]).items
    assert model.status is LoggedModelStatus.PENDING
    with pytest.raises(InvalidArgument, match=f"'{model.model_id}' is PENDING, not READY"):
        runwell.pyfunc.load_model(f"models:/{model.model_id}", dst_path=str(tmp_path / "dl"))
    with pytest.raises(InvalidArgument, match="not READY"):
        runwell.register_model(f"models:/{model.model_id}", "never", tracking_uri=uri)
    assert not client.search_registered_models("name = 'never'").items
    # The run the model was logged from is intact and still RUNNING (nobody ended it).
    (run,) = client.search_runs([experiment.experiment_id]).items
    assert run.info.status is RunStatus.RUNNING
