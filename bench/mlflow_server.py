"""MLflow's side of the HTTP benchmarks: the real client against `mlflow server`.

Imported by mlflow_side.py (MLflow's virtualenv). The server gets the same options as
`runwell server` does in workloads/server.py: a SQLite store and proxied artifacts in the
repetition's directory, and the same number of workers.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path

import mlflow
from mlflow import MlflowClient

import harness
import server_ops

MLFLOW = str(Path(sys.executable).parent / "mlflow")


def command(port: int, db: Path, artifacts: Path, workers: int) -> Sequence[str]:
    return [
        MLFLOW, "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", str(artifacts),
        "--workers", str(workers),
    ]  # fmt: skip


def server_log_metric(args: harness.Args) -> None:
    """``mlflow.log_metric`` calls to a server (synchronous, its default)."""
    seconds = []
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp, server_ops.server(command, tmp, tmp / "s.db") as s:
            mlflow.set_tracking_uri(s.url)
            mlflow.start_run()
            with harness.Stopwatch() as watch:
                for step in range(args.size):
                    mlflow.log_metric("loss", step * 0.001, step=step)
                mlflow.end_run()
            seconds.append(watch.seconds)
    harness.emit(seconds, args.size)


def server_log_batch(args: harness.Args) -> None:
    server_ops.concurrent_log_batch(command, args)


def server_start(args: harness.Args) -> None:
    server_ops.startup(command, args)


def query_page(client: MlflowClient, experiment_id: str) -> int:
    """The workload's filtered, ordered search; the number of runs it returned."""
    found = client.search_runs(
        [experiment_id],
        harness.SEARCH_FILTER,
        max_results=harness.SEARCH_MAX_RESULTS,
        order_by=list(harness.SEARCH_ORDER_BY),
    )
    return len(found)


def server_search(args: harness.Args) -> None:
    seconds = []
    found = 0
    for _ in range(args.reps):
        with server_ops.fixture_server(command, args.fixture, "mlflow.db") as s:
            client = MlflowClient(s.url)
            experiment = client.get_experiment_by_name(harness.SEARCH_EXPERIMENT)
            assert experiment is not None
            query = functools.partial(query_page, client, experiment.experiment_id)
            median, found = harness.median_latency(query, args.queries)
            seconds.append(median)
    harness.emit(seconds, 1, runs=args.size, queries=args.queries, returned=found)


def server_history(args: harness.Args) -> None:
    seconds = []
    returned = 0
    for _ in range(args.reps):
        with server_ops.fixture_server(command, args.fixture, "mlflow.db") as s:
            client = MlflowClient(s.url)
            experiment = client.get_experiment_by_name(harness.HISTORY_EXPERIMENT)
            assert experiment is not None
            run_id = client.search_runs([experiment.experiment_id])[0].info.run_id
            with harness.Stopwatch() as watch:
                history = client.get_metric_history(run_id, harness.HISTORY_KEY)
            seconds.append(watch.seconds)
            returned = len(history)
            del history
    harness.emit(seconds, args.size, returned=returned)
