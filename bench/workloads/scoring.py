"""The scoring server: `runwell models serve` on a model directory saved by MLflow's sklearn flavor.

The command is the one a user types (the console script, ``--env-manager local``, one worker);
batching workloads add ``--batch-max-size 64`` with the default latency budget.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import scoring_ops

RUNWELL = str(Path(sys.executable).parent / "runwell")
BATCH_MAX_SIZE = 64


def command(port: int, model: Path, workers: int, batching: bool) -> Sequence[str]:
    line = [
        RUNWELL, "models", "serve", "-m", str(model), "-h", "127.0.0.1", "-p", str(port),
        "-w", str(workers), "--env-manager", "local", "--log-level", "warning",
    ]  # fmt: skip
    if batching:
        line += ["--batch-max-size", str(BATCH_MAX_SIZE)]
    return line


OPS = scoring_ops.ops(command)
