"""Projects: ``runwell run`` of a project whose python_env needs scikit-learn, cold and cached.

Both operations write the same small project to a fresh directory: an MLproject with one entry
point, ``python train.py --alpha {alpha}``, and a python_env.yaml asking for this interpreter's
exact version and the scikit-learn installed here (pinned, so both sides install the same
files). ``train.py`` fits an ElasticNet on 2,000 generated rows and prints its score; it logs
nothing, so neither side needs its own library inside the environment and the same project
runs unchanged under ``runwell run`` and ``mlflow run``. Each launch is the console script, as
a user types it, with ``--env-manager virtualenv``, timed from start to exit.

- ``project_run_cold``: every launch gets a new, empty environment root (RUNWELL_ENV_ROOT;
  MLFLOW_ENV_ROOT for MLflow), so it creates the virtualenv and installs scikit-learn. The
  tracking store already exists (an untimed first launch of each side made it and filled the
  download caches of uv and pip). MLflow's ``mlflow run --env-manager virtualenv`` (pyenv for
  the interpreter, ``python -m venv``, pip) is timed right after each runwell launch: the
  baseline, in the same process.
- ``project_run_cached``: the environment is built by an untimed first launch; each timed
  launch is compared with running the script directly with that environment's interpreter,
  and the reported time is the difference (the overhead of ``runwell run``). MLflow's cached
  launch time is kept in the details.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import harness

RUNWELL = str(Path(sys.executable).parent / "runwell")
ROOT = Path(__file__).resolve().parents[2]
MLFLOW = ROOT / ".venv-mlflow" / "bin" / "mlflow"
TIMEOUT_S = 900
_PYTHON_LINE = re.compile(r"^BENCH_PYTHON (\S+)$", re.MULTILINE)

MLPROJECT = """\
name: bench-sklearn
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
    command: "python train.py --alpha {alpha}"
"""

TRAIN = """\
import argparse
import sys

import numpy as np
from sklearn.linear_model import ElasticNet

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float, default=0.5)
alpha = parser.parse_args().alpha
rng = np.random.default_rng(0)
x = rng.normal(size=(2000, 10))
y = x @ np.linspace(-1.0, 1.0, 10) + rng.normal(0.0, 0.1, 2000)
print("r2", round(ElasticNet(alpha=alpha).fit(x, y).score(x, y), 4))
print("BENCH_PYTHON", sys.executable)
"""


def write_project(directory: Path) -> Path:
    """The benchmark project, pinned to this interpreter's version and scikit-learn."""
    directory.mkdir(parents=True)
    sklearn = metadata.version("scikit-learn")
    (directory / "MLproject").write_text(MLPROJECT)
    (directory / "python_env.yaml").write_text(
        f'python: "{platform.python_version()}"\nbuild_dependencies:\n  - pip\n'
        f"dependencies:\n  - scikit-learn=={sklearn}\n"
    )
    (directory / "train.py").write_text(TRAIN)
    return directory


def _launch(command: list[str], cwd: Path, extra_env: dict[str, str]) -> tuple[float, str]:
    """(seconds from start to exit, output) of one command; raises when it fails."""
    environ = {**os.environ, **extra_env}
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"{command[0]} {command[1]} exited {done.returncode}:\n{tail}")
    return seconds, done.stdout + done.stderr


class Sides:
    """How each side launches the project, into stores that live in ``work``."""

    def __init__(self, work: Path, project: Path) -> None:
        self.work = work
        self.project = project
        self.mlflow = MLFLOW.exists()

    def runwell(self, env_root: Path) -> tuple[float, str]:
        command = [RUNWELL, "run", str(self.project), "--env-manager", "virtualenv"]
        return _launch(
            command,
            self.work,
            {
                "RUNWELL_TRACKING_URI": harness.sqlite_uri(self.work / "runwell.db"),
                "RUNWELL_ENV_ROOT": str(env_root),
            },
        )

    def mlflow_run(self, env_root: Path) -> float:
        command = [str(MLFLOW), "run", str(self.project), "--env-manager", "virtualenv"]
        seconds, _ = _launch(
            command,
            self.work,
            {
                "MLFLOW_TRACKING_URI": harness.sqlite_uri(self.work / "mlflow.db"),
                "MLFLOW_ENV_ROOT": str(env_root),
                "MLFLOW_DISABLE_TELEMETRY": "true",
            },
        )
        return seconds


def _interpreter(output: str) -> str:
    found = _PYTHON_LINE.search(output)
    if found is None:
        raise RuntimeError("the project did not print its interpreter:\n" + output[-2000:])
    return found.group(1)


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 3) for v in values]


def project_run_cold(args: harness.Args) -> None:
    """``args.size`` launches, each into an empty environment root; MLflow's after each."""
    runwell_s: list[float] = []
    mlflow_s: list[float] = []
    with harness.fresh_dir() as tmp:
        sides = Sides(tmp, write_project(tmp / "project"))
        warm, _ = sides.runwell(tmp / "warm-runwell")  # the store and uv's download cache
        warm_mlflow = sides.mlflow_run(tmp / "warm-mlflow") if sides.mlflow else None
        for i in range(args.size):
            root = tmp / f"envs-{i}"
            seconds, _ = sides.runwell(root)
            runwell_s.append(seconds)
            shutil.rmtree(root, ignore_errors=True)
            if sides.mlflow:
                mlflow_s.append(sides.mlflow_run(root))
                shutil.rmtree(root, ignore_errors=True)
    harness.emit(
        runwell_s,
        args.size,
        baseline_seconds=mlflow_s,
        mlflow_cold_s=_rounded(mlflow_s) if mlflow_s else "not measured (.venv-mlflow missing)",
        first_launch_s=round(warm, 2),
        mlflow_first_launch_s=None if warm_mlflow is None else round(warm_mlflow, 2),
        python=platform.python_version(),
        scikit_learn=metadata.version("scikit-learn"),
    )


def project_run_cached(args: harness.Args) -> None:
    """``args.size`` launches with the environment built; the time over the script alone."""
    overhead: list[float] = []
    runwell_s: list[float] = []
    direct_s: list[float] = []
    mlflow_s: list[float] = []
    with harness.fresh_dir() as tmp:
        sides = Sides(tmp, write_project(tmp / "project"))
        root = tmp / "envs"
        build, output = sides.runwell(root)
        python = _interpreter(output)
        if sides.mlflow:
            sides.mlflow_run(tmp / "mlflow-envs")
        direct = [python, "train.py", "--alpha", "0.5"]
        for _ in range(args.size):
            alone, _ = _launch(direct, sides.project, {})
            launched, output = sides.runwell(root)
            if _interpreter(output) != python:
                raise RuntimeError(f"the cached launch ran {_interpreter(output)}, not {python}")
            direct_s.append(alone)
            runwell_s.append(launched)
            overhead.append(launched - alone)
            if sides.mlflow:
                mlflow_s.append(sides.mlflow_run(tmp / "mlflow-envs"))
    harness.emit(
        overhead,
        args.size,
        runwell_run_s=_rounded(runwell_s),
        script_alone_s=_rounded(direct_s),
        mlflow_cached_s=_rounded(mlflow_s) if mlflow_s else "not measured",
        environment_built_in_s=round(build, 2),
    )
