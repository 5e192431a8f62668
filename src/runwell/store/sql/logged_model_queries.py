"""Logged models in SQL: rows to entities, and search filters and orderings to queries.

The filter grammar is the runs search's (store/search_filter.py) with logged-model attributes.
Strings compare case-sensitively on every dialect and ILIKE ignores case, as for runs. Metric
comparisons and orderings are refused: runwell records metrics per run, not per logged model,
so it cannot answer them truthfully.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store.search_filter import Comparison, OrderKey
from runwell.store.sql.loading import chunked
from runwell.store.sql.rows import logged_model_params, logged_model_tags, logged_models
from runwell.store.sql.search import exists, fenced

_ATTRIBUTES: dict[str, sa.ColumnElement[Any]] = {
    "name": logged_models.c.name,
    "model_id": logged_models.c.model_id,
    "status": logged_models.c.status,
    # Absent reads as '' so that `model_type != 'x'` keeps the models without one.
    "model_type": sa.func.coalesce(logged_models.c.model_type, ""),
    "source_run_id": sa.func.coalesce(logged_models.c.source_run_id, ""),
    "creation_timestamp": logged_models.c.creation_timestamp_ms,
    "last_updated_timestamp": logged_models.c.last_updated_timestamp_ms,
}
_NUMERIC = ("creation_timestamp", "last_updated_timestamp")
_STATUS_OPS = ("=", "!=", "IN", "NOT IN")
_STATUS_NAMES = tuple(s.name for s in LoggedModelStatus)
_NO_METRICS = (
    "runwell does not record metrics per logged model (they stay on the run that logged "
    "them); filter on the source run's metrics with runs/search instead"
)


def not_found(model_id: str) -> NotFound:
    return NotFound(f"Logged model with ID '{model_id}' not found.")


def to_entity(
    row: Any, tag_rows: Sequence[Any] = (), param_rows: Sequence[Any] = ()
) -> LoggedModel:
    return LoggedModel(
        model_id=row.model_id,
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        creation_timestamp_ms=row.creation_timestamp_ms,
        last_updated_timestamp_ms=row.last_updated_timestamp_ms,
        status=LoggedModelStatus[row.status],
        status_message=row.status_message,
        model_type=row.model_type,
        source_run_id=row.source_run_id,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
        tag_list=tuple(LoggedModelTag(key=t.key, value=t.value) for t in tag_rows),
        param_list=tuple(LoggedModelParam(key=p.key, value=p.value) for p in param_rows),
    )


def load_models(conn: Connection, rows: Sequence[Any]) -> list[LoggedModel]:
    """Entities for ``logged_models`` rows, with their tags and params, in the given order."""
    tag_map: dict[int, list[Any]] = defaultdict(list)
    param_map: dict[int, list[Any]] = defaultdict(list)
    for chunk in chunked([r.id for r in rows]):
        for table, into in ((logged_model_tags, tag_map), (logged_model_params, param_map)):
            query = sa.select(table).where(table.c.model.in_(chunk)).order_by(table.c.key)
            for item in conn.execute(query):
                into[item.model].append(item)
    return [to_entity(r, tag_map.get(r.id, ()), param_map.get(r.id, ())) for r in rows]


def _binary(dialect: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return column.collate("utf8mb4_bin") if dialect in ("mysql", "mariadb") else column


def _compare(
    dialect: str, column: sa.ColumnElement[Any], op: str, value: Any
) -> sa.ColumnElement[bool]:
    """``column op value`` for the comparators search_filter.py lets through."""
    if op == "ILIKE":
        return sa.func.lower(column).like(sa.func.lower(sa.literal(value)))
    if op == "IN":
        return _binary(dialect, column).in_(list(value))
    if op == "NOT IN":
        return _binary(dialect, column).not_in(list(value))
    if op == "LIKE":
        return _binary(dialect, column).like(value)
    if isinstance(value, str):
        column = _binary(dialect, column)
    operations = {
        "=": column.__eq__,
        "!=": column.__ne__,
        ">": column.__gt__,
        ">=": column.__ge__,
        "<": column.__lt__,
        "<=": column.__le__,
    }
    result: sa.ColumnElement[bool] = operations[op](value)
    return result


def _keyed(kind: str, key: str) -> tuple[Any, sa.ColumnElement[bool]]:
    table = logged_model_tags if kind == "tag" else logged_model_params
    alias = table.alias()
    return alias, sa.and_(alias.c.model == logged_models.c.id, alias.c.key == key)


def _status_values(c: Comparison) -> str | tuple[str, ...]:
    if c.op not in _STATUS_OPS:
        raise InvalidArgument(
            f"Invalid comparator {c.op!r} for logged model 'status'; "
            f"expected one of {', '.join(_STATUS_OPS)}"
        )
    values = c.value if isinstance(c.value, tuple) else (str(c.value),)
    for value in values:
        if value.upper() not in _STATUS_NAMES:
            raise InvalidArgument(
                f"Unknown model status in filter: {value!r}; expected one of "
                f"{', '.join(_STATUS_NAMES)}"
            )
    upper = tuple(v.upper() for v in values)
    return upper if isinstance(c.value, tuple) else upper[0]


def _condition(dialect: str, c: Comparison, fence: bool) -> sa.ColumnElement[bool]:
    if c.kind == "metric":
        raise InvalidArgument(f"Invalid filter on metrics.{c.key}: {_NO_METRICS}.")
    if c.kind in ("tag", "param"):
        alias, on = _keyed(c.kind, c.key)
        if c.op == "IS NULL":
            return ~exists(sa.select(1).select_from(alias).where(on), fence)
        found = sa.select(1).select_from(alias).where(on)
        if c.op != "IS NOT NULL":
            found = found.where(_compare(dialect, alias.c.value, c.op, c.value))
        return exists(found, fence)
    value = _status_values(c) if c.key == "status" else c.value
    return _compare(dialect, _ATTRIBUTES[c.key], c.op, value)


def models_query(
    dialect: str,
    experiment_pks: Sequence[int],
    comparisons: Sequence[Comparison],
    order: Sequence[OrderKey],
) -> sa.Select[Any]:
    """Active logged models of the experiments that match, in order (no limit or offset).

    After the requested keys come the newest first and then the model id, so pages are stable.
    """
    query = sa.select(logged_models).where(
        logged_models.c.experiment_id.in_(list(experiment_pks)),
        logged_models.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
    )
    fence = fenced(dialect, len(comparisons))
    for c in comparisons:
        query = query.where(_condition(dialect, c, fence))
    columns: list[sa.ColumnElement[Any]] = []
    for o in order:
        if o.kind == "metric":
            raise InvalidArgument(f"Invalid order_by field metrics.{o.key}: {_NO_METRICS}.")
        if o.kind == "attribute":
            value = _ATTRIBUTES[o.key]
            if o.key not in _NUMERIC:
                value = _binary(dialect, value)
        else:
            alias, on = _keyed(o.kind, o.key)
            query = query.outerjoin(alias, on)
            # Models without the key sort last in either direction, as runs do.
            columns.append(sa.case((alias.c.value.is_(None), 1), else_=0))
            value = _binary(dialect, alias.c.value)
        columns.append(value.asc() if o.ascending else value.desc())
    if not any(o.kind == "attribute" and o.key == "creation_timestamp" for o in order):
        columns.append(logged_models.c.creation_timestamp_ms.desc())
    columns.append(logged_models.c.model_id.asc())
    return query.order_by(*columns)
