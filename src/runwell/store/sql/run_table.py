"""Search results loaded straight into columns (a RunTable), for DataFrames of many runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from runwell.entities import RunTable
from runwell.store.sql import codec
from runwell.store.sql.loading import chunked, driver_rows


def load_run_table(conn: Connection, run_rows: Sequence[Any]) -> RunTable:
    """The table of runs selected with loading.RUN_COLUMNS, in the given order."""
    count = len(run_rows)
    position = {r.id: index for index, r in enumerate(run_rows)}
    metrics: dict[str, list[float]] = {}
    params: dict[str, list[str | None]] = {}
    tags: dict[str, list[str | None]] = {}
    decode = codec.decode
    nan = math.nan
    for chunk in chunked([r.id for r in run_rows]):
        for run, key, value, kind in driver_rows(
            conn, "SELECT run, {key}, value, kind FROM latest_metrics WHERE run IN ({runs})", chunk
        ):
            column = metrics.get(key)
            if column is None:
                column = metrics[key] = [nan] * count
            column[position[run]] = decode(value, kind) if kind else value
        for table, into in (("params", params), ("tags", tags)):
            for run, key, value in driver_rows(
                conn, f"SELECT run, {{key}}, value FROM {table} WHERE run IN ({{runs}})", chunk
            ):
                values = into.get(key)
                if values is None:
                    values = into[key] = [None] * count
                values[position[run]] = value
    return RunTable(
        run_id=[r.run_id for r in run_rows],
        experiment_id=[str(r.experiment_id) for r in run_rows],
        status=[r.status for r in run_rows],
        artifact_uri=[r.artifact_uri for r in run_rows],
        start_time=[r.start_time for r in run_rows],
        end_time=[r.end_time for r in run_rows],
        metrics=metrics,
        params=params,
        tags=tags,
        run_name=[r.name for r in run_rows],
        user_id=[r.user_id for r in run_rows],
        lifecycle_stage=[r.lifecycle_stage for r in run_rows],
    )
