"""MLflow's side of the benchmarks: ``.venv-mlflow/bin/python bench/mlflow_side.py OP ...``.

The same operations as runwell_side.py, on MLflow's SQL store (``sqlite:///<tmp>/mlflow.db``,
set with ``mlflow.set_tracking_uri``) and MLflow's public API. runwell is not installed in this
interpreter; only the standard-library ``harness`` module is shared.
"""

from __future__ import annotations

import functools
import logging
import statistics
import time
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

import harness
import mlflow_registry
import mlflow_scoring
import mlflow_server
import server_ops

BATCH = 1000

# MLflow logs every schema migration at INFO on each new store; keep stderr readable.
logging.getLogger("mlflow").setLevel(logging.WARNING)
logging.getLogger("alembic").setLevel(logging.WARNING)


def _client(db: Path) -> MlflowClient:
    mlflow.set_tracking_uri(harness.sqlite_uri(db))
    return MlflowClient()


def log_batch(args: harness.Args) -> None:
    batches = harness.metric_batches(Metric, harness.batch_points(args.size), BATCH)
    seconds = []
    for rep in range(args.reps + 1):
        with harness.fresh_dir() as tmp:
            client = _client(tmp / "mlflow.db")
            run_id = client.create_run(client.create_experiment("bench")).info.run_id
            with harness.Stopwatch() as watch:
                for batch in batches:
                    client.log_batch(run_id, metrics=batch)
            if rep:  # the first repetition is an untimed warm-up
                seconds.append(watch.seconds)
    harness.emit(seconds, args.size, batch=BATCH)


def log_metric(args: harness.Args) -> None:
    seconds = []
    for rep in range(args.reps + 1):
        with harness.fresh_dir() as tmp:
            _client(tmp / "mlflow.db")
            mlflow.start_run()
            with harness.Stopwatch() as watch:
                for step in range(args.size):
                    mlflow.log_metric("loss", step * 0.001, step=step)
            if rep:  # the first repetition is an untimed warm-up
                seconds.append(watch.seconds)
            mlflow.end_run()
    harness.emit(seconds, args.size)


def populate_runs(args: harness.Args) -> None:
    assert args.fixture is not None
    client = _client(Path(args.fixture))
    experiment_id = client.create_experiment(harness.SEARCH_EXPERIMENT)
    watch = harness.Stopwatch()
    with watch:
        for shape in harness.search_runs_data(args.size):
            run_id = client.create_run(experiment_id, tags=shape.tags).info.run_id
            client.log_batch(
                run_id,
                metrics=[
                    Metric(key=k, value=v, timestamp=harness.BASE_TIMESTAMP, step=0)
                    for k, v in shape.metrics.items()
                ],
                params=[Param(key=k, value=v) for k, v in shape.params.items()],
            )
    harness.emit([watch.seconds], args.size)


def _fresh_client(fixture: str | None, tmp: Path) -> tuple[MlflowClient, str]:
    assert fixture is not None
    db = tmp / "mlflow.db"
    harness.copy_database(fixture, db)
    client = _client(db)
    experiment = client.get_experiment_by_name(harness.SEARCH_EXPERIMENT)
    assert experiment is not None
    return client, experiment.experiment_id


def search_runs(args: harness.Args) -> None:
    seconds = []
    found = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            client, experiment_id = _fresh_client(args.fixture, tmp)
            query = functools.partial(mlflow_server.query_page, client, experiment_id)
            median, found = harness.median_latency(query, args.queries)
            seconds.append(median)
    harness.emit(seconds, 1, runs=args.size, queries=args.queries, returned=found)


def search_frame(args: harness.Args) -> None:
    seconds = []
    shape: tuple[int, int] = (0, 0)
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            _, experiment_id = _fresh_client(args.fixture, tmp)
            with harness.Stopwatch() as watch:
                frame = mlflow.search_runs(experiment_ids=[experiment_id])
            seconds.append(watch.seconds)
            shape = frame.shape
            del frame
    harness.emit(seconds, args.size, rows=shape[0], columns=shape[1])


def populate_history(args: harness.Args) -> None:
    assert args.fixture is not None
    client = _client(Path(args.fixture))
    run_id = client.create_run(client.create_experiment(harness.HISTORY_EXPERIMENT)).info.run_id
    watch = harness.Stopwatch()
    with watch:
        for chunk in harness.chunks(harness.history_points(args.size), BATCH):
            client.log_batch(
                run_id,
                metrics=[Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in chunk],
            )
    harness.emit([watch.seconds], args.size, run_id=run_id)


def metric_history(args: harness.Args) -> None:
    assert args.fixture is not None
    seconds = []
    returned = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            db = tmp / "mlflow.db"
            harness.copy_database(args.fixture, db)
            client = _client(db)
            experiment = client.get_experiment_by_name(harness.HISTORY_EXPERIMENT)
            assert experiment is not None
            run_id = client.search_runs([experiment.experiment_id])[0].info.run_id
            with harness.Stopwatch() as watch:
                history = client.get_metric_history(run_id, harness.HISTORY_KEY)
            seconds.append(watch.seconds)
            returned = len(history)
            del history
    harness.emit(seconds, args.size, returned=returned)


def log_metric_overhead(args: harness.Args) -> None:
    """The time of each ``mlflow.log_metric`` call to `mlflow server` (synchronous, its
    default): the counterpart of workloads/offline.py's ``log_metric_overhead``."""
    medians: list[float] = []
    p99_us: list[float] = []
    for _ in range(args.reps):
        with (
            harness.fresh_dir() as tmp,
            server_ops.server(mlflow_server.command, tmp, tmp / "s.db") as s,
        ):
            mlflow.set_tracking_uri(s.url)
            mlflow.start_run()
            for step in range(20):  # warm-up: the connection
                mlflow.log_metric("warm-up", float(step), step=step)
            clock = time.perf_counter_ns
            took = [0] * args.size
            for step in range(args.size):
                began = clock()
                mlflow.log_metric("loss", step * 0.001, step=step)
                took[step] = clock() - began
            mlflow.end_run()
            took.sort()
            medians.append(statistics.median(took) / 1e9)
            p99_us.append(round(took[int(len(took) * 0.99)] / 1e3, 1))
    harness.emit(
        medians, 1, calls=args.size, median_us=[round(m * 1e6, 1) for m in medians], p99_us=p99_us
    )


def autolog_sklearn(args: harness.Args) -> None:
    """``mlflow.sklearn.autolog()`` around LogisticRegression fits (bench/workloads/autolog.py)."""
    import mlflow.sklearn

    from workloads.autolog import Autolog, measure

    with harness.fresh_dir() as tmp:
        mlflow.set_tracking_uri(harness.sqlite_uri(tmp / "mlflow.db"))
        side = Autolog(
            enable=mlflow.sklearn.autolog,
            disable=lambda: mlflow.sklearn.autolog(disable=True),
            flush=mlflow.flush_async_logging,
            start_run=mlflow.start_run,
            end_run=mlflow.end_run,
        )
        measure(side, args.size, args.reps)


def ui_runs_page(args: harness.Args) -> None:
    """MLflow's UI: the runs table of the search fixture's experiment, first rows shown."""
    import browser  # playwright is in this virtualenv only for this workload

    seconds = []
    # MLflow's runs table (ag-grid) puts each run in a `.ag-row` (header rows excluded).
    ready = "document.querySelectorAll('.ag-center-cols-container .ag-row').length >= 10"
    with browser.chromium() as chromium:
        for _ in range(args.reps):
            with server_ops.fixture_server(mlflow_server.command, args.fixture, "mlflow.db") as s:
                found = server_ops.call(
                    s.url,
                    "/api/2.0/mlflow/experiments/get-by-name?experiment_name="
                    + harness.SEARCH_EXPERIMENT,
                )
                url = f"{s.url}/#/experiments/{found['experiment']['experiment_id']}/runs"
                browser.time_page(chromium, url, ready)
                seconds.append(browser.time_page(chromium, url, ready)["ready"] / 1000)
    harness.emit(seconds, args.size)


OPS = {
    "ui_runs_page": ui_runs_page,
    "log_metric_overhead": log_metric_overhead,
    "log_batch": log_batch,
    "log_metric": log_metric,
    "populate_runs": populate_runs,
    "search_runs": search_runs,
    "search_frame": search_frame,
    "populate_history": populate_history,
    "metric_history": metric_history,
    "server_log_metric": mlflow_server.server_log_metric,
    "server_log_batch": mlflow_server.server_log_batch,
    "server_search": mlflow_server.server_search,
    "server_history": mlflow_server.server_history,
    "server_start": mlflow_server.server_start,
    **mlflow_scoring.OPS,
    "populate_registry": mlflow_registry.populate_registry,
    "registry_search": mlflow_registry.registry_search,
    "autolog_sklearn": autolog_sklearn,
}

if __name__ == "__main__":
    harness.main(OPS)
