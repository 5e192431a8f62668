"""Running one side of a workload (runwell or MLflow) in its own interpreter, and its fixtures.

Each call starts a fresh process, so no workload inherits another's caches, connections or
heap; the side script prints one ``BENCH_RESULT {json}`` line, which is parsed here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import RESULT_PREFIX

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
MLFLOW_PYTHON = ROOT / ".venv-mlflow" / "bin" / "python"
TIMEOUT_S = 3600


@dataclass(frozen=True)
class Side:
    name: str
    label: str
    python: str
    script: Path
    module: str


RUNWELL = Side("runwell", "runwell", sys.executable, BENCH / "runwell_side.py", "runwell")
MLFLOW = Side("mlflow", "MLflow", str(MLFLOW_PYTHON), BENCH / "mlflow_side.py", "mlflow")


class SideError(RuntimeError):
    """A side script failed or printed no result."""


def clean_env() -> dict[str, str]:
    """This environment minus RUNWELL_*/MLFLOW_* settings, which could redirect a store or run.

    MLflow's telemetry is turned off: this machine has no network, and a background sender
    must not compete with the measured work.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    # Both sides run from compiled bytecode, as an installed package does: a shell that
    # forbids writing it would time the compiler on every launch instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_op(
    side: Side,
    op: str,
    size: int,
    *,
    cwd: Path,
    reps: int = 1,
    queries: int = 20,
    fixture: str | None = None,
) -> dict[str, Any]:
    """Run ``op`` in ``side``'s interpreter; the parsed result (seconds, count, detail)."""
    command = [side.python, str(side.script), op, "--size", str(size), "--reps", str(reps)]
    command += ["--queries", str(queries)]
    if fixture is not None:
        command += ["--fixture", fixture]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=clean_env(), cwd=cwd, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise SideError(f"{side.label} {op} ran past {TIMEOUT_S} s") from exc
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = "\n".join(done.stderr.strip().splitlines()[-15:])
    raise SideError(f"{side.label} {op} failed (exit {done.returncode}):\n{tail}")


class Fixtures:
    """Populated SQLite stores, made once per bench run and copied by every repetition."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.setup_seconds: dict[tuple[str, str, int], float] = {}

    def path(self, side: Side, kind: str, size: int) -> str:
        file = self.root / f"{side.name}-{kind}-{size}.db"
        key = (side.name, kind, size)
        if key not in self.setup_seconds:
            print(f"  populating {side.label} {kind} fixture ({size:,}) ...", file=sys.stderr)
            result = run_op(side, f"populate_{kind}", size, cwd=self.root, fixture=str(file))
            self.setup_seconds[key] = result["seconds"][0]
        return str(file)
