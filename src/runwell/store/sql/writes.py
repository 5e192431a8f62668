"""The write paths of run data: metrics, params and tags, batched and dialect-tuned.

These run inside one write transaction opened by the store, so a batch is all-or-nothing.
Statements are plain SQL strings compiled once per dialect: the hot loop (a training script
calling ``log_metric``) must not pay for statement compilation on every call.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from runwell.entities import Metric, Param, RunTag
from runwell.errors import InvalidArgument
from runwell.store import validation
from runwell.store.sql import codec
from runwell.store.sql.raw import RawConnections

RUN_NAME_TAG = "mlflow.runName"


def _placeholders(raw: RawConnections, count: int) -> str:
    return ", ".join([raw.mark] * count)


@functools.cache
def _metric_insert(dialect: str, marks: str) -> str:
    columns = "(run, key, timestamp, step, value, kind)"
    if dialect == "mysql":
        columns = columns.replace("key", "`key`")
    if dialect == "sqlite":
        return f"INSERT OR IGNORE INTO metrics {columns} VALUES ({marks})"
    if dialect == "mysql":
        return f"INSERT IGNORE INTO metrics {columns} VALUES ({marks})"
    return f"INSERT INTO metrics {columns} VALUES ({marks}) ON CONFLICT DO NOTHING"


# The latest point per key is the max of (step, timestamp, value), as MLflow's SQL store has it.
_NEWER = (
    "(excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step AND "
    "(excluded.timestamp > latest_metrics.timestamp OR (excluded.timestamp = "
    "latest_metrics.timestamp AND excluded.value > latest_metrics.value))))"
)


@functools.cache
def _latest_upsert(dialect: str, marks: str) -> str:
    return (
        f"INSERT INTO latest_metrics (run, key, value, kind, timestamp, step) VALUES ({marks}) "
        "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value, kind = excluded.kind, "
        f"timestamp = excluded.timestamp, step = excluded.step WHERE {_NEWER}"
    )


# SQLite binds one multi-row VALUES statement about twice as fast as executemany; 500 rows
# of 6 parameters stay far below its 32766-variable limit.
_ROWS_PER_STATEMENT = 500


def _insert_points(raw: RawConnections, cursor: Any, flat: list[Any], marks: str) -> None:
    dialect = raw.dialect
    count = len(flat) // 6
    if dialect != "sqlite":
        rows = [tuple(flat[i : i + 6]) for i in range(0, len(flat), 6)]
        cursor.executemany(_metric_insert(dialect, marks), rows)
        return
    for start in range(0, count, _ROWS_PER_STATEMENT):
        size = min(_ROWS_PER_STATEMENT, count - start)
        cursor.execute(_multi_insert(size), flat[start * 6 : (start + size) * 6])


@functools.lru_cache(maxsize=64)
def _multi_insert(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT OR IGNORE INTO metrics (run, key, timestamp, step, value, kind) VALUES {values}"


def point_insert(raw: RawConnections) -> str:
    """Insert one point if its run is active (rowcount 0: duplicate or inactive run).

    Parameters: key, timestamp, step, value, kind, run.
    """
    mark = raw.mark
    key = "`key`" if raw.dialect == "mysql" else "key"
    columns = f"(run, {key}, timestamp, step, value, kind)"
    select = (
        f"SELECT id, {mark}, {mark}, {mark}, {mark}, {mark} FROM runs "
        f"WHERE id = {mark} AND lifecycle_stage = 'active'"
    )
    if raw.dialect == "sqlite":
        return f"INSERT OR IGNORE INTO metrics {columns} {select}"
    if raw.dialect == "mysql":
        return f"INSERT IGNORE INTO metrics {columns} {select}"
    return f"INSERT INTO metrics {columns} {select} ON CONFLICT DO NOTHING"


def latest_upsert(raw: RawConnections) -> str:
    """Parameters: run, key, value, kind, timestamp, step (not for MySQL)."""
    return _latest_upsert(raw.dialect, _placeholders(raw, 6))


def log_metrics(
    raw: RawConnections,
    cursor: Any,
    run_pk: int,
    metrics: Sequence[Metric],
    *,
    history: bool = True,
) -> None:
    """Insert history points (exact duplicates ignored) and advance each key's latest value."""
    if not metrics:
        return
    dialect = raw.dialect
    isfinite = math.isfinite
    encode = codec.encode
    valid_key = validation.valid_key
    low, high = validation.INT64_MIN, validation.INT64_MAX
    flat: list[Any] = []
    extend = flat.extend
    latest: dict[str, tuple[int, int, float, int]] = {}
    # One pass validates, encodes and finds each key's latest point: this loop runs a million
    # times per million points, so the checks are inlined and the rare cases fall back to
    # validation.metric for the precise error.
    for m in metrics:
        key, value, timestamp, step = m.key, m.value, m.timestamp, m.step
        if (
            type(key) is not str
            or not valid_key(key)
            or (type(value) is not float and type(value) is not int)
            or type(timestamp) is not int
            or not 0 <= timestamp <= high
            or type(step) is not int
            or not low <= step <= high
        ):
            validation.metric(m)
        kind = 0
        if not isfinite(value):
            value, kind = encode(value)
        extend((run_pk, key, timestamp, step, value, kind))
        best = latest.get(key)
        if best is None or (step, timestamp, value) > best[:3]:
            latest[key] = (step, timestamp, value, kind)
    marks = _placeholders(raw, 6)
    if history:
        _insert_points(raw, cursor, flat, marks)
    upserts = [
        (run_pk, key, value, kind, timestamp, step)
        for key, (step, timestamp, value, kind) in latest.items()
    ]
    if dialect == "mysql":
        _mysql_latest(cursor, run_pk, upserts)
    elif len(upserts) == 1:
        cursor.execute(_latest_upsert(dialect, marks), upserts[0])
    else:
        cursor.executemany(_latest_upsert(dialect, marks), upserts)


def _mysql_latest(cursor: Any, run_pk: int, upserts: list[tuple[Any, ...]]) -> None:
    # MySQL applies ON DUPLICATE KEY assignments left to right, each seeing the previous ones,
    # so one conditional upsert cannot compare all columns; lock, compare here, then write.
    keys = [u[1] for u in upserts]
    marks = ", ".join(["%s"] * len(keys))
    cursor.execute(
        "SELECT `key`, value, timestamp, step FROM latest_metrics "
        f"WHERE run = %s AND `key` IN ({marks}) FOR UPDATE",
        [run_pk, *keys],
    )
    current = {row[0]: (row[3], row[2], row[1]) for row in cursor.fetchall()}
    inserts, updates = [], []
    for run, key, value, kind, timestamp, step in upserts:
        old = current.get(key)
        if old is None:
            inserts.append((run, key, value, kind, timestamp, step))
        elif (step, timestamp, value) > old:
            updates.append((value, kind, timestamp, step, run, key))
    if inserts:
        cursor.executemany(
            "INSERT INTO latest_metrics (run, `key`, value, kind, timestamp, step) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            inserts,
        )
    if updates:
        cursor.executemany(
            "UPDATE latest_metrics SET value = %s, kind = %s, timestamp = %s, step = %s "
            "WHERE run = %s AND `key` = %s",
            updates,
        )


def log_params(
    raw: RawConnections, cursor: Any, run_pk: int, run_id: str, params: Sequence[Param]
) -> None:
    """Insert new params; the same value again is fine, another value rejects the batch."""
    if not params:
        return
    mark = raw.mark
    key_col = "`key`" if raw.dialect == "mysql" else "key"
    keys = [p.key for p in params]
    marks = ", ".join([mark] * len(keys))
    cursor.execute(
        f"SELECT {key_col}, value FROM params WHERE run = {mark} AND {key_col} IN ({marks})",
        [run_pk, *keys],
    )
    stored = dict(cursor.fetchall())
    conflicts = [
        {"key": p.key, "old_value": stored[p.key], "new_value": p.value}
        for p in params
        if p.key in stored and stored[p.key] != p.value
    ]
    if conflicts:
        raise InvalidArgument(
            f"Changing param values is not allowed. Params were already logged="
            f"'{conflicts}' for run ID='{run_id}'."
        )
    new = [(run_pk, p.key, p.value) for p in params if p.key not in stored]
    if new:
        cursor.executemany(
            f"INSERT INTO params (run, {key_col}, value) VALUES ({mark}, {mark}, {mark})", new
        )


def set_tags(raw: RawConnections, cursor: Any, run_pk: int, tags: Sequence[RunTag]) -> None:
    """Upsert tags (the last of duplicate keys wins); ``mlflow.runName`` renames the run."""
    if not tags:
        return
    final = {t.key: t.value for t in tags}
    mark = raw.mark
    rows = [(run_pk, key, value) for key, value in final.items()]
    if raw.dialect == "mysql":
        cursor.executemany(
            "INSERT INTO tags (run, `key`, value) VALUES (%s, %s, %s) "
            "ON DUPLICATE KEY UPDATE value = VALUES(value)",
            rows,
        )
    else:
        cursor.executemany(
            f"INSERT INTO tags (run, key, value) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value",
            rows,
        )
    if RUN_NAME_TAG in final:
        cursor.execute(
            f"UPDATE runs SET name = {mark} WHERE id = {mark}",
            (final[RUN_NAME_TAG][:250], run_pk),
        )
