"""The HTTP benchmarks both sides share: start a tracking server, drive it, time it.

Standard library only (imported by both side scripts). A side supplies the command that starts
its server; everything that talks plain HTTP (run creation, the concurrent log-batch load, the
start-up clock) is the same code for runwell and MLflow.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
import load
import servers

# (port, database file, artifacts directory, workers) -> the command line of a server
ServerCommand = Callable[[int, Path, Path, int], Sequence[str]]

LOAD_CONNECTIONS = 16
LOAD_WORKERS = 2
METRICS_PER_BATCH = 10


@contextmanager
def server(
    command: ServerCommand, tmp: Path, db: Path, workers: int = 1
) -> Iterator[servers.Server]:
    port = servers.free_port()
    artifacts = tmp / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with servers.running(command(port, db, artifacts, workers), port, tmp, tmp / "server.log") as s:
        yield s


@contextmanager
def fixture_server(
    command: ServerCommand, fixture: str | None, db_name: str
) -> Iterator[servers.Server]:
    """A server over a fresh copy of a populated store, in a fresh directory."""
    assert fixture is not None
    with harness.fresh_dir() as tmp:
        db = tmp / db_name
        harness.copy_database(fixture, db)
        with server(command, tmp, db) as s:
            yield s


def call(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One JSON request (POST when there is a body); the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path, data=data, headers={"Content-Type": "application/json"}
    )
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except ConnectionError:
            # A multi-worker server may answer /health from one worker while another is still
            # starting; its first request can find the connection closed.
            if attempt == 4:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def create_run(url: str, experiment: str) -> str:
    experiment_id = call(url, "/api/2.0/mlflow/experiments/create", {"name": experiment})[
        "experiment_id"
    ]
    run = call(
        url,
        "/api/2.0/mlflow/runs/create",
        {"experiment_id": experiment_id, "start_time": harness.BASE_TIMESTAMP},
    )
    run_id: str = run["run"]["info"]["run_id"]
    return run_id


def _batch_body(run_id: str) -> Callable[[int], bytes]:
    """Request n logs step n of METRICS_PER_BATCH keys: every body is new data."""
    prefix = ('{"run_id": "' + run_id + '", "metrics": [').encode()

    def body(n: int) -> bytes:
        stamp = harness.BASE_TIMESTAMP + n
        points = ",".join(
            f'{{"key": "m{k}", "value": {(n * 7 + k) % 997 / 997}, "timestamp": {stamp}, '
            f'"step": {n}}}'
            for k in range(METRICS_PER_BATCH)
        )
        return prefix + points.encode() + b"]}"

    return body


def concurrent_log_batch(command: ServerCommand, args: harness.Args) -> None:
    """Requests/s of POST log-batch (10 metrics) on 16 keep-alive connections for
    ``args.size`` seconds."""
    rates: list[float] = []
    p50: list[float] = []
    p99: list[float] = []
    errors = 0
    seconds = float(args.size)
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp, server(command, tmp, tmp / "s.db", LOAD_WORKERS) as s:
            run_id = create_run(s.url, "bench-load")
            result = load.post_loop(
                s.url,
                "/api/2.0/mlflow/runs/log-batch",
                _batch_body(run_id),
                LOAD_CONNECTIONS,
                seconds,
            )
            rates.append(result.rate)
            p50.append(round(result.percentile(0.50), 1))
            p99.append(round(result.percentile(0.99), 1))
            errors += result.errors
    # Reported as seconds per request, so the shared summary's rate is requests/s.
    harness.emit(
        [1 / r for r in rates],
        1,
        connections=LOAD_CONNECTIONS,
        workers=LOAD_WORKERS,
        load_seconds=seconds,
        p50_ms=p50,
        p99_ms=p99,
        errors=errors,
    )


def startup(command: ServerCommand, args: harness.Args) -> None:
    """Seconds from the command to /health answering, on a new store; then idle RSS."""
    seconds: list[float] = []
    rss: list[list[float]] = []
    for _ in range(args.size):
        with harness.fresh_dir() as tmp, server(command, tmp, tmp / "s.db", 1) as s:
            seconds.append(s.started_in)
            time.sleep(1.0)
            rss.append([round(mb) for mb in s.rss_mb()])
    worst = max(max(sizes) for sizes in rss)
    harness.emit(seconds, 1, rss_mb=rss, worst_rss_mb=worst)
