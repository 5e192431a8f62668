"""Turning rows into entities, for one run or ten thousand at once."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
)
from runwell.store.sql import codec
from runwell.store.sql.rows import (
    datasets,
    experiment_tags,
    experiments,
    run_input_tags,
    run_inputs,
    runs,
)

# Keeps IN lists well under every driver's bound-parameter limit.
_CHUNK = 900

RUN_COLUMNS = (
    runs.c.id,
    runs.c.run_id,
    runs.c.experiment_id,
    runs.c.name,
    runs.c.user_id,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.artifact_uri,
    runs.c.lifecycle_stage,
)


_new = object.__new__
_set_key = Metric.__dict__["key"].__set__
_set_value = Metric.__dict__["value"].__set__
_set_timestamp = Metric.__dict__["timestamp"].__set__
_set_step = Metric.__dict__["step"].__set__


def metric_points(key: str, rows: Iterable[tuple[float | None, int, int]]) -> list[Metric]:
    """Metrics from (value, timestamp, step) rows of one key; a None value is a NaN.

    A million-point history must not pay a frozen dataclass ``__init__`` per point (each field
    goes through ``object.__setattr__``), so this fills the slots directly: same objects,
    about twice as fast.
    """
    nan = math.nan
    points: list[Metric] = []
    append = points.append
    for value, timestamp, step in rows:
        point = _new(Metric)
        _set_key(point, key)
        _set_value(point, nan if value is None else value)
        _set_timestamp(point, timestamp)
        _set_step(point, step)
        append(point)
    return points


def metric_columns(
    key: str, values: list[float], timestamps: list[int], steps: list[int]
) -> list[Metric]:
    """Metrics of one key from three columns (NaN values are NaN), as metric_points does."""
    points: list[Metric] = []
    append = points.append
    for value, timestamp, step in zip(values, timestamps, steps, strict=True):
        point = _new(Metric)
        _set_key(point, key)
        _set_value(point, value)
        _set_timestamp(point, timestamp)
        _set_step(point, step)
        append(point)
    return points


def run_info(row: Any) -> RunInfo:
    return RunInfo(
        run_id=row.run_id,
        experiment_id=str(row.experiment_id),
        run_name=row.name,
        user_id=row.user_id,
        status=RunStatus[row.status],
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
    )


def experiment(row: Any, tag_rows: Iterable[Any]) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
        tag_list=tuple(ExperimentTag(key=t.key, value=t.value) for t in tag_rows),
    )


def load_experiments(conn: Connection, rows: Sequence[Any]) -> list[Experiment]:
    ids = [r.experiment_id for r in rows]
    by_id: dict[int, list[Any]] = defaultdict(list)
    for chunk in chunked(ids):
        query = (
            sa.select(experiment_tags)
            .where(experiment_tags.c.experiment_id.in_(chunk))
            .order_by(experiment_tags.c.key)
        )
        for t in conn.execute(query):
            by_id[t.experiment_id].append(t)
    return [experiment(r, by_id.get(r.experiment_id, ())) for r in rows]


def select_experiment(conn: Connection, where: sa.ColumnElement[bool]) -> Experiment | None:
    row = conn.execute(sa.select(experiments).where(where)).first()
    if row is None:
        return None
    return load_experiments(conn, [row])[0]


def chunked(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


_set_param_key = Param.__dict__["key"].__set__
_set_param_value = Param.__dict__["value"].__set__
_set_tag_key = RunTag.__dict__["key"].__set__
_set_tag_value = RunTag.__dict__["value"].__set__


def driver_rows(conn: Connection, sql: str, chunk: Sequence[int]) -> list[Any]:
    """Rows of ``sql`` (with ``{runs}`` for the run list) straight from the driver cursor.

    Loading ten thousand runs reads ~250k param/tag/metric rows; SQLAlchemy's result rows
    cost more than the query itself here.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    key = "`key`" if conn.dialect.name in ("mysql", "mariadb") else "key"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql.format(runs=", ".join([mark] * len(chunk)), key=key), list(chunk))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def load_runs(conn: Connection, run_rows: Sequence[Any]) -> list[Run]:
    """Full runs (data and inputs) for rows selected with RUN_COLUMNS, in the given order."""
    pks = [r.id for r in run_rows]
    metric_map: dict[int, list[Metric]] = defaultdict(list)
    param_map: dict[int, list[Param]] = defaultdict(list)
    tag_map: dict[int, list[RunTag]] = defaultdict(list)
    input_map: dict[int, list[DatasetInput]] = defaultdict(list)
    decode = codec.decode
    new = _new
    for chunk in chunked(pks):
        for run, key, value, kind, timestamp, step in driver_rows(
            conn,
            "SELECT run, {key}, value, kind, timestamp, step FROM latest_metrics "
            "WHERE run IN ({runs})",
            chunk,
        ):
            point = new(Metric)
            _set_key(point, key)
            _set_value(point, decode(value, kind) if kind else value)
            _set_timestamp(point, timestamp)
            _set_step(point, step)
            metric_map[run].append(point)
        for run, key, value in driver_rows(
            conn, "SELECT run, {key}, value FROM params WHERE run IN ({runs})", chunk
        ):
            param = new(Param)
            _set_param_key(param, key)
            _set_param_value(param, value)
            param_map[run].append(param)
        for run, key, value in driver_rows(
            conn, "SELECT run, {key}, value FROM tags WHERE run IN ({runs})", chunk
        ):
            tag = new(RunTag)
            _set_tag_key(tag, key)
            _set_tag_value(tag, value)
            tag_map[run].append(tag)
        _load_inputs(conn, chunk, input_map)
    empty: tuple[Any, ...] = ()
    return [
        Run(
            info=run_info(r),
            data=RunData(
                metrics=tuple(metric_map.get(r.id, empty)),
                params=tuple(param_map.get(r.id, empty)),
                tags=tuple(tag_map.get(r.id, empty)),
            ),
            inputs=RunInputs(dataset_inputs=tuple(input_map.get(r.id, empty))),
        )
        for r in run_rows
    ]


def _load_inputs(
    conn: Connection, chunk: Sequence[int], into: dict[int, list[DatasetInput]]
) -> None:
    rows = conn.execute(
        sa.select(run_inputs.c.run, datasets)
        .join(datasets, datasets.c.id == run_inputs.c.dataset)
        .where(run_inputs.c.run.in_(chunk))
        .order_by(run_inputs.c.run, datasets.c.id)
    ).all()
    if not rows:
        return
    input_tags: dict[tuple[int, int], list[InputTag]] = defaultdict(list)
    for t in conn.execute(sa.select(run_input_tags).where(run_input_tags.c.run.in_(chunk))):
        input_tags[(t.run, t.dataset)].append(InputTag(key=t.key, value=t.value))
    for r in rows:
        dataset = Dataset(
            name=r.name,
            digest=r.digest,
            source_type=r.source_type,
            source=r.source,
            schema=r.schema,
            profile=r.profile,
        )
        into[r.run].append(
            DatasetInput(dataset=dataset, tags=tuple(input_tags.get((r.run, r.id), ())))
        )
