"""MLflow's side of the registry workloads (run in .venv-mlflow by mlflow_side.py).

Creating 10,000 versions through MLflow's API takes about 35 ms each here (six minutes), so
the fixture is made in MLflow's own schema in two steps: one model and its versions through
the API, then copies of exactly those rows (renamed, renumbered) in bulk. The search itself
always goes through ``MlflowClient.search_model_versions``.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

import mlflow
from mlflow import MlflowClient

import harness
import registry_data

_TABLES = ("registered_models", "model_versions", "model_version_tags", "registered_model_aliases")


def populate_registry(args: harness.Args) -> None:
    assert args.fixture is not None
    mlflow.set_tracking_uri(harness.sqlite_uri(Path(args.fixture)))
    client = MlflowClient()
    run_id = client.create_run(client.create_experiment(registry_data.EXPERIMENT)).info.run_id
    watch = harness.Stopwatch()
    with watch:
        first = registry_data.model_name(0)
        client.create_registered_model(first)
        for v in range(registry_data.VERSIONS_PER_MODEL):
            client.create_model_version(
                first, f"runs:/{run_id}/model", run_id=run_id, tags={"team": registry_data.team(v)}
            )
        client.set_registered_model_alias(first, registry_data.ALIAS, "1")
        _copy_model(args.fixture, first, args.size // registry_data.VERSIONS_PER_MODEL)
    harness.emit([watch.seconds], args.size)


def _copy_model(db: str, first: str, models: int) -> None:
    """Rows of ``first`` copied to models 1..models-1, in every registry table."""
    connection = sqlite3.connect(db)
    try:
        with connection:
            for table in _TABLES:
                columns = [r[1] for r in connection.execute(f"PRAGMA table_info({table})")]
                rows = connection.execute(f"SELECT * FROM {table} WHERE name = ?", (first,))
                template = rows.fetchall()
                at = columns.index("name")
                copies = [
                    (*row[:at], registry_data.model_name(m), *row[at + 1 :])
                    for m in range(1, models)
                    for row in template
                ]
                marks = ", ".join("?" * len(columns))
                connection.executemany(f"INSERT INTO {table} VALUES ({marks})", copies)
    finally:
        connection.close()


def _search(client: MlflowClient, filter_string: str) -> int:
    return len(client.search_model_versions(filter_string))


def registry_search(args: harness.Args) -> None:
    seconds = []
    found = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            assert args.fixture is not None
            db = tmp / "mlflow.db"
            harness.copy_database(args.fixture, db)
            mlflow.set_tracking_uri(harness.sqlite_uri(db))
            client = MlflowClient()
            filter_string = registry_data.search_filter(args.size)
            median, found = harness.median_latency(
                functools.partial(_search, client, filter_string), args.queries
            )
            seconds.append(median)
    harness.emit(seconds, 1, versions=args.size, queries=args.queries, returned=found)
