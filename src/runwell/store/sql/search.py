"""Translate parsed search filters and orderings into SQL for runs and experiments.

Metric comparisons read ``latest_metrics``; params and tags join their tables on the key.
Comparisons of strings are case-sensitive everywhere (MySQL's default collation is not, so
we ask for the binary one), and ILIKE is a case-insensitive LIKE on every dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from runwell.entities import ViewType
from runwell.errors import InvalidArgument
from runwell.store.search_filter import Comparison, OrderKey
from runwell.store.sql import codec
from runwell.store.sql.loading import RUN_COLUMNS
from runwell.store.sql.rows import (
    datasets,
    experiment_tags,
    experiments,
    latest_metrics,
    params,
    run_input_tags,
    run_inputs,
    runs,
    tags,
)

_RUN_ATTRIBUTES: dict[str, sa.Column[Any]] = {
    "run_id": runs.c.run_id,
    "run_name": runs.c.name,
    "status": runs.c.status,
    "user_id": runs.c.user_id,
    "artifact_uri": runs.c.artifact_uri,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
}
_EXPERIMENT_ATTRIBUTES: dict[str, sa.Column[Any]] = {
    "name": experiments.c.name,
    "experiment_id": experiments.c.experiment_id,
    "creation_time": experiments.c.creation_time,
    "last_update_time": experiments.c.last_update_time,
}
DATA_CONTEXT_TAG = "mlflow.data.context"

# PostgreSQL turns each EXISTS into a semi-join and then searches the orders in which to join
# them all: planning 50 comparisons took 1.2 s, 100 took 18 s (issue 19). Past a few, each
# subquery gets ``OFFSET 0``, which PostgreSQL never pulls up into a join, so it stays a per-row
# subplan (planning 50: 4 ms). A few are left to the planner, which may well join them.
_POSTGRES_JOINED_EXISTS = 4


def fenced(dialect: str, comparisons: int) -> bool:
    """Whether a filter's subqueries need ``OFFSET 0`` to keep planning linear (see above)."""
    return dialect == "postgresql" and comparisons > _POSTGRES_JOINED_EXISTS


def exists(query: sa.Select[Any], fence: bool) -> sa.Exists:
    """``EXISTS (query)``, kept out of PostgreSQL's join search when ``fence`` is set."""
    return sa.exists(query.offset(0) if fence else query)


def _binary(dialect: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    if dialect in ("mysql", "mariadb"):
        return column.collate("utf8mb4_bin")
    return column


def _string_condition(
    dialect: str, column: sa.ColumnElement[Any], op: str, value: Any
) -> sa.ColumnElement[bool]:
    if op == "ILIKE":
        bound = value if isinstance(value, sa.BindParameter) else sa.literal(value)
        return sa.func.lower(column).like(sa.func.lower(bound))
    column = _binary(dialect, column)
    if op == "=":
        equal: sa.ColumnElement[bool] = column == value
        return equal
    if op == "!=":
        unequal: sa.ColumnElement[bool] = column != value
        return unequal
    if op == "LIKE":
        return column.like(value)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    raise InvalidArgument(f"Invalid comparator '{op}' for a string value.")


def _numeric_condition(
    column: sa.ColumnElement[Any], op: str, value: Any
) -> sa.ColumnElement[bool]:
    operations = {
        "=": column.__eq__,
        "!=": column.__ne__,
        ">": column.__gt__,
        ">=": column.__ge__,
        "<": column.__lt__,
        "<=": column.__le__,
    }
    if op not in operations:
        raise InvalidArgument(f"Invalid comparator '{op}' for a numeric value.")
    result: sa.ColumnElement[bool] = operations[op](value)
    return result


def _metric_condition(alias: Any, op: str, value: object) -> sa.ColumnElement[bool]:
    if not isinstance(value, (int, float)):
        raise InvalidArgument(f"Expected a numeric value for a metric comparison, got {value!r}.")
    stored, _kind = codec.encode(float(value))
    condition = _numeric_condition(alias.c.value, op, stored)
    if op == "!=":
        # A NaN is unequal to every number, as in MLflow.
        return sa.or_(alias.c.kind == codec.NAN, condition)
    return sa.and_(alias.c.kind != codec.NAN, condition)


def _keyed(table: sa.Table, key: str) -> Any:
    alias = table.alias()
    return alias, sa.and_(alias.c.run == runs.c.id, alias.c.key == key)


def _run_condition(dialect: str, c: Comparison, fence: bool) -> sa.ColumnElement[bool]:
    if c.kind == "metric":
        alias, on = _keyed(latest_metrics, c.key)
        return exists(
            sa.select(1).select_from(alias).where(on, _metric_condition(alias, c.op, c.value)),
            fence,
        )
    if c.kind in ("param", "tag"):
        alias, on = _keyed(params if c.kind == "param" else tags, c.key)
        if c.op == "IS NULL":
            return ~exists(sa.select(1).select_from(alias).where(on), fence)
        if c.op == "IS NOT NULL":
            return exists(sa.select(1).select_from(alias).where(on), fence)
        return exists(
            sa.select(1)
            .select_from(alias)
            .where(on, _string_condition(dialect, alias.c.value, c.op, c.value)),
            fence,
        )
    if c.kind == "attribute":
        column = _RUN_ATTRIBUTES[c.key]
        if c.key in ("start_time", "end_time"):
            return _numeric_condition(column, c.op, c.value)
        return _string_condition(dialect, column, c.op, c.value)
    if c.kind == "dataset":
        if c.key == "context":
            return exists(
                sa.select(1)
                .select_from(run_input_tags)
                .where(
                    run_input_tags.c.run == runs.c.id,
                    run_input_tags.c.key == DATA_CONTEXT_TAG,
                    _string_condition(dialect, run_input_tags.c.value, c.op, c.value),
                ),
                fence,
            )
        column = datasets.c[c.key]
        return exists(
            sa.select(1)
            .select_from(run_inputs.join(datasets, datasets.c.id == run_inputs.c.dataset))
            .where(
                run_inputs.c.run == runs.c.id,
                _string_condition(dialect, column, c.op, c.value),
            ),
            fence,
        )
    raise InvalidArgument(f"Invalid search entity '{c.kind}'.")


def runs_query(
    dialect: str,
    experiment_pks: Sequence[int],
    view: ViewType,
    comparisons: Sequence[Comparison],
    order: Sequence[OrderKey],
) -> sa.Select[Any]:
    """Select RUN_COLUMNS of matching runs in the requested order (no limit/offset)."""
    stages = [s.value for s in view.stages()]
    query = sa.select(*RUN_COLUMNS).where(
        runs.c.experiment_id.in_(list(experiment_pks)), runs.c.lifecycle_stage.in_(stages)
    )
    fence = fenced(dialect, len(comparisons))
    for c in comparisons:
        query = query.where(_run_condition(dialect, c, fence))
    order_columns: list[sa.ColumnElement[Any]] = []
    used_start_time = False
    for o in order:
        if o.kind == "attribute":
            column = _RUN_ATTRIBUTES.get(o.key)
            if column is None:
                raise InvalidArgument(f"Invalid order_by attribute '{o.key}'.")
            used_start_time = used_start_time or o.key == "start_time"
            order_columns.append(sa.case((column.is_(None), 1), else_=0))
            order_columns.append(column.asc() if o.ascending else column.desc())
            continue
        table = {"metric": latest_metrics, "param": params, "tag": tags}[o.kind]
        alias, on = _keyed(table, o.key)
        query = query.outerjoin(alias, on)
        if o.kind == "metric":
            # Real values first, then NaN, then runs without the metric, in either direction.
            order_columns.append(
                sa.case((alias.c.kind.is_(None), 2), (alias.c.kind == codec.NAN, 1), else_=0)
            )
        else:
            order_columns.append(sa.case((alias.c.value.is_(None), 1), else_=0))
        value = _binary(dialect, alias.c.value) if o.kind != "metric" else alias.c.value
        order_columns.append(value.asc() if o.ascending else value.desc())
    if not used_start_time:
        order_columns.append(runs.c.start_time.desc())
    order_columns.append(runs.c.run_id.asc())
    return query.order_by(*order_columns)


def _experiment_condition(dialect: str, c: Comparison, fence: bool) -> sa.ColumnElement[bool]:
    if c.kind == "tag":
        alias = experiment_tags.alias()
        on = sa.and_(alias.c.experiment_id == experiments.c.experiment_id, alias.c.key == c.key)
        if c.op == "IS NULL":
            return ~exists(sa.select(1).select_from(alias).where(on), fence)
        if c.op == "IS NOT NULL":
            return exists(sa.select(1).select_from(alias).where(on), fence)
        return exists(
            sa.select(1)
            .select_from(alias)
            .where(on, _string_condition(dialect, alias.c.value, c.op, c.value)),
            fence,
        )
    column = _EXPERIMENT_ATTRIBUTES[c.key]
    if c.key == "experiment_id":
        value: Any = c.value
        try:
            value = tuple(int(v) for v in c.value) if isinstance(c.value, tuple) else int(c.value)  # type: ignore[arg-type]
        except ValueError:
            raise InvalidArgument(
                f"Invalid experiment ID in filter: {c.value!r}. Experiment IDs are integers."
            ) from None
        if c.op in ("IN", "NOT IN"):
            return column.in_(value) if c.op == "IN" else column.not_in(value)
        return _numeric_condition(column, c.op, value)
    if c.key in ("creation_time", "last_update_time"):
        return _numeric_condition(column, c.op, c.value)
    return _string_condition(dialect, column, c.op, c.value)


def experiments_query(
    view: ViewType, comparisons: Sequence[Comparison], order: Sequence[OrderKey], dialect: str = ""
) -> sa.Select[Any]:
    stages = [s.value for s in view.stages()]
    query = sa.select(experiments).where(experiments.c.lifecycle_stage.in_(stages))
    fence = fenced(dialect, len(comparisons))
    for c in comparisons:
        query = query.where(_experiment_condition(dialect, c, fence))
    columns: list[sa.ColumnElement[Any]] = []
    for o in order:
        column = _EXPERIMENT_ATTRIBUTES[o.key]
        columns.append(column.asc() if o.ascending else column.desc())
    if not order:
        columns = [experiments.c.creation_time.desc(), experiments.c.experiment_id.asc()]
    elif not any(o.key == "experiment_id" for o in order):
        columns.append(experiments.c.experiment_id.desc())
    return query.order_by(*columns)
