"""Run a script with the real mlflow (its own venv) and read back the JSON it prints.

The flavor tests prove both directions of compatibility with it: mlflow saves -> runwell loads,
runwell saves -> mlflow loads. runwell never imports mlflow; mlflow runs as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

MLFLOW_PYTHON = Path(__file__).resolve().parents[3] / ".venv-mlflow" / "bin" / "python"

needs_mlflow = pytest.mark.skipif(
    not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3.x)"
)


def run_mlflow(script: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """Run ``script`` with mlflow's interpreter in ``cwd``; the JSON of its last stdout line."""
    full_env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/mlflow.db", **(env or {})}
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    full_env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", textwrap.dedent(script)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
