"""MLflow's side of the scoring benchmarks: `mlflow models serve --env-manager local`.

Imported by mlflow_side.py (MLflow's virtualenv). The same model directory, requests and load as
workloads/scoring.py; MLflow's scoring server has no batching, so the batched workload serves
it as it is and only runwell batches.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import scoring_ops

BIN = Path(sys.executable).parent
MLFLOW = str(BIN / "mlflow")
# `mlflow models serve` starts its web server as a subprocess found on PATH.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def command(port: int, model: Path, workers: int, batching: bool) -> Sequence[str]:
    return [
        MLFLOW, "models", "serve", "-m", str(model), "-h", "127.0.0.1", "-p", str(port),
        "-w", str(workers), "--env-manager", "local",
    ]  # fmt: skip


OPS = scoring_ops.ops(command, sys.executable)
