"""The tracking server over HTTP: runwell's client against `runwell server`."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path

import harness
import runwell
import server_ops
from runwell import RunwellClient
from runwell.store.uri import forget_stores
from workloads import search

RUNWELL = str(Path(sys.executable).parent / "runwell")


def command(port: int, db: Path, artifacts: Path, workers: int) -> Sequence[str]:
    return [
        RUNWELL, "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", str(artifacts),
        "--workers", str(workers),
    ]  # fmt: skip


def server_log_metric(args: harness.Args) -> None:
    """Fluent ``log_metric`` calls to a server, until ``end_run`` has delivered them all."""
    seconds = []
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp, server_ops.server(command, tmp, tmp / "s.db") as s:
            runwell.set_tracking_uri(s.url)
            runwell.start_run()
            with harness.Stopwatch() as watch:
                for step in range(args.size):
                    runwell.log_metric("loss", step * 0.001, step=step)
                runwell.end_run()
            seconds.append(watch.seconds)
            forget_stores()
    harness.emit(seconds, args.size)


def server_log_batch(args: harness.Args) -> None:
    server_ops.concurrent_log_batch(command, args)


def server_start(args: harness.Args) -> None:
    server_ops.startup(command, args)


def server_search(args: harness.Args) -> None:
    """Median latency of the search workload's query, over HTTP through the client."""
    seconds = []
    found = 0
    for _ in range(args.reps):
        with server_ops.fixture_server(command, args.fixture, "runwell.db") as s:
            client = RunwellClient(s.url)
            experiment = client.get_experiment_by_name(harness.SEARCH_EXPERIMENT)
            assert experiment is not None
            query = functools.partial(search.query_page, client, experiment.experiment_id)
            median, found = harness.median_latency(query, args.queries)
            seconds.append(median)
            forget_stores()
    harness.emit(seconds, 1, runs=args.size, queries=args.queries, returned=found)


def server_history(args: harness.Args) -> None:
    """One ``get_metric_history`` of the history fixture's metric, over HTTP."""
    seconds = []
    returned = 0
    for _ in range(args.reps):
        with server_ops.fixture_server(command, args.fixture, "runwell.db") as s:
            client = RunwellClient(s.url)
            experiment = client.get_experiment_by_name(harness.HISTORY_EXPERIMENT)
            assert experiment is not None
            run_id = client.search_runs([experiment.experiment_id]).items[0].info.run_id
            with harness.Stopwatch() as watch:
                history = client.get_metric_history(run_id, harness.HISTORY_KEY)
            seconds.append(watch.seconds)
            returned = len(history)
            del history
            forget_stores()
    harness.emit(seconds, args.size, returned=returned)
