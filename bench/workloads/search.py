"""Searching 10,000 runs: a filtered, ordered page of 100, and every run into a DataFrame."""

from __future__ import annotations

import functools

import harness
import runwell
from runwell import Metric, Param, RunwellClient
from runwell.store.uri import forget_stores


def populate_runs(args: harness.Args) -> None:
    """Write ``args.size`` runs of the search shape into the SQLite file ``args.fixture``."""
    assert args.fixture is not None
    client = RunwellClient(f"sqlite:///{args.fixture}")
    experiment_id = client.create_experiment(harness.SEARCH_EXPERIMENT)
    watch = harness.Stopwatch()
    with watch:
        for shape in harness.search_runs_data(args.size):
            run_id = client.create_run(experiment_id, tags=shape.tags).info.run_id
            client.log_batch(
                run_id,
                metrics=[
                    Metric(key=k, value=v, timestamp=harness.BASE_TIMESTAMP)
                    for k, v in shape.metrics.items()
                ],
                params=[Param(key=k, value=v) for k, v in shape.params.items()],
            )
    forget_stores()
    harness.emit([watch.seconds], args.size)


def _fresh_client(fixture: str | None, tmp: harness.Path) -> tuple[RunwellClient, str]:
    assert fixture is not None
    db = tmp / "runwell.db"
    harness.copy_database(fixture, db)
    client = RunwellClient(harness.sqlite_uri(db))
    experiment = client.get_experiment_by_name(harness.SEARCH_EXPERIMENT)
    assert experiment is not None
    return client, experiment.experiment_id


def query_page(client: RunwellClient, experiment_id: str) -> int:
    """The workload's filtered, ordered search; the number of runs it returned."""
    page = client.search_runs(
        [experiment_id],
        harness.SEARCH_FILTER,
        max_results=harness.SEARCH_MAX_RESULTS,
        order_by=list(harness.SEARCH_ORDER_BY),
    )
    return len(page.items)


def search_runs(args: harness.Args) -> None:
    """Median latency of ``args.queries`` identical filtered searches, after one warm-up."""
    seconds = []
    found = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            client, experiment_id = _fresh_client(args.fixture, tmp)
            query = functools.partial(query_page, client, experiment_id)
            median, found = harness.median_latency(query, args.queries)
            seconds.append(median)
            forget_stores()
    harness.emit(seconds, 1, runs=args.size, queries=args.queries, returned=found)


def search_frame(args: harness.Args) -> None:
    """One fluent ``runwell.search_runs`` of every run into a pandas DataFrame."""
    import pandas  # noqa: F401  # imported before timing, as a notebook already has it

    seconds = []
    shape: tuple[int, int] = (0, 0)
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            client, experiment_id = _fresh_client(args.fixture, tmp)
            runwell.set_tracking_uri(client.tracking_uri)
            with harness.Stopwatch() as watch:
                frame = runwell.search_runs(experiment_ids=[experiment_id])
            seconds.append(watch.seconds)
            shape = frame.shape
            del frame
            forget_stores()
    harness.emit(seconds, args.size, rows=shape[0], columns=shape[1])
