"""The scoring-server benchmarks both sides share: the model, the payloads, the load, the clock.

Standard library only (imported by runwell_side.py and mlflow_side.py). A side supplies the
command line of its scoring server (``runwell models serve`` / ``mlflow models serve``); the
model directory, the request bodies, the load generator (``load.py``) and the measurements are
the same code for both, so the two servers answer identical requests for the same model.

The model is a scikit-learn LogisticRegression on iris (4 double columns), saved by MLflow's
sklearn flavor in MLflow's interpreter, once per bench run: both sides serve that directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import harness
import load
import servers

# (port, model directory, workers, batching on) -> the command line of a scoring server
ScoringCommand = Callable[[int, Path, int, bool], Sequence[str]]

MLFLOW_PYTHON = Path(__file__).resolve().parent.parent / ".venv-mlflow" / "bin" / "python"
COLUMNS = ("a", "b", "c", "d")
ROW = (5.1, 3.5, 1.4, 0.2)
WARM_UP_S = 1.0
START_TIMEOUT_S = 120.0

_SAVE = """
import sys
import mlflow
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
X.columns = ["a", "b", "c", "d"]
model = LogisticRegression(max_iter=500).fit(X, y)
mlflow.sklearn.save_model(
    model, sys.argv[1], signature=infer_signature(X, model.predict(X)),
    serialization_format="cloudpickle",
)
"""


def model_dir(fixture: str | None) -> Path:
    """The model directory of this bench run: beside the fixture file, the same for both sides.

    ``run_all.py`` names fixture files ``<side>-<kind>-<size>.db``; the model directory drops
    the side and the size, so whichever side populates first saves it and the other reuses it.
    """
    assert fixture is not None
    path = Path(fixture)
    kind = path.stem.split("-")[1]
    return path.parent / f"model-{kind}"


def populate_model(args: harness.Args, mlflow_python: str | Path = MLFLOW_PYTHON) -> None:
    """Save the benchmark model with ``mlflow.sklearn.save_model`` unless this run already did."""
    target = model_dir(args.fixture)
    watch = harness.Stopwatch()
    if not (target / "MLmodel").exists():
        if not Path(mlflow_python).exists():
            raise SystemExit(
                f"the scoring benchmarks serve a model saved by MLflow's sklearn flavor, and "
                f"{mlflow_python} is missing: run `make mlflow-env`"
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        with watch:
            subprocess.run(
                [str(mlflow_python), "-c", _SAVE, str(target)],
                check=True,
                capture_output=True,
                env=env,
                timeout=600,
            )
    Path(args.fixture or "").touch()  # run_all.py expects the fixture path to exist
    harness.emit([watch.seconds], 1, model=str(target))


def split_body(rows: int) -> bytes:
    """A ``dataframe_split`` request of ``rows`` identical iris rows."""
    payload = {"dataframe_split": {"columns": list(COLUMNS), "data": [list(ROW)] * rows}}
    return json.dumps(payload).encode()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every live descendant (MLflow forks workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return total


def concurrent_predict(
    command: ScoringCommand, args: harness.Args, rows: int, connections: int, batching: bool
) -> None:
    """Requests/s of POST /invocations (``rows``-row dataframe_split) on ``connections``
    keep-alive connections for ``args.size`` seconds, after WARM_UP_S of the same load."""
    body = split_body(rows)
    model = model_dir(args.fixture)
    rates: list[float] = []
    p50: list[float] = []
    p99: list[float] = []
    cpu_ms: list[float] = []
    errors = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            port = servers.free_port()
            line = command(port, model, 1, batching)
            with servers.running(line, port, tmp, tmp / "server.log") as s:
                check = load.post_loop(s.url, "/invocations", lambda n: body, 1, 0.05)
                if check.errors or not check.requests:
                    log = (tmp / "server.log").read_text(errors="replace")[-2000:]
                    raise SystemExit(f"/invocations failed on {line[0]}:\n{log}")
                load.post_loop(s.url, "/invocations", lambda n: body, connections, WARM_UP_S)
                cpu_before = _cpu_seconds(s.process.pid)
                result = load.post_loop(
                    s.url, "/invocations", lambda n: body, connections, float(args.size)
                )
                cpu = _cpu_seconds(s.process.pid) - cpu_before
            rates.append(result.rate)
            p50.append(round(result.percentile(0.50), 1))
            p99.append(round(result.percentile(0.99), 1))
            cpu_ms.append(round(1000 * cpu / max(result.requests, 1), 2))
            errors += result.errors
    # Reported as seconds per request, so the shared summary's rate is requests/s.
    harness.emit(
        [1 / r for r in rates],
        1,
        rows=rows,
        connections=connections,
        batching=batching,
        load_seconds=float(args.size),
        p50_ms=p50,
        p99_ms=p99,
        server_cpu_ms_per_request=cpu_ms,
        errors=errors,
    )


def _wait_ping(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the scoring server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"the scoring server did not answer /ping within {START_TIMEOUT_S:.0f} s")


def _launch(command: ScoringCommand, model: Path, tmp: Path) -> float:
    """Seconds from starting the command to its first 200 on /ping; the server is stopped."""
    port = servers.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    with (tmp / "server.log").open("wb") as out:
        began = time.perf_counter()
        process = subprocess.Popen(
            list(command(port, model, 1, False)),
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ping(f"http://127.0.0.1:{port}", process)
            return time.perf_counter() - began
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def startup(command: ScoringCommand, args: harness.Args) -> None:
    """Seconds from the serve command to /ping answering 200, ``args.size`` launches after
    one untimed launch (which warms the file cache and writes bytecode)."""
    model = model_dir(args.fixture)
    seconds: list[float] = []
    with harness.fresh_dir() as tmp:
        _launch(command, model, tmp)
        for _ in range(args.size):
            seconds.append(_launch(command, model, tmp))
    harness.emit(seconds, 1)


def ops(
    command: ScoringCommand, mlflow_python: str | Path = MLFLOW_PYTHON
) -> dict[str, Callable[[harness.Args], None]]:
    """The side-script operations of the scoring workloads for a side's server ``command``.

    ``scoring_batched`` asks for batching; a server without it (MLflow's) ignores the flag.
    """
    return {
        "populate_iris_model": lambda args: populate_model(args, mlflow_python),
        "scoring_1row": lambda args: concurrent_predict(command, args, 1, 8, batching=False),
        "scoring_100rows": lambda args: concurrent_predict(command, args, 100, 8, batching=False),
        "scoring_batched": lambda args: concurrent_predict(command, args, 1, 64, batching=True),
        "scoring_start": lambda args: startup(command, args),
    }
