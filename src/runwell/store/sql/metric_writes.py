"""Writing metric points: the history rows and each series' latest value, in one transaction.

A series is one (run, key) row of ``latest_metrics``; its integer id is what history rows
store. Series ids never change, so the store caches them, but only after the transaction that
created them commits (a rolled-back id must never be reused from the cache). A new series is
first inserted holding a placeholder older than any real point, so that one conditional
UPDATE per key advances the latest value on every dialect. The latest values are updated by
(run, key), the table's clustered key, so a single point rewrites one page of it. A key with
many points in one batch is stored as one packed block (metric_blocks.py) instead of rows.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from runwell.entities import Metric
from runwell.errors import Unavailable
from runwell.store import validation
from runwell.store.sql import codec, metric_blocks
from runwell.store.sql.raw import RawConnections

# Older than any valid point: steps are int64, timestamps non-negative.
_PLACEHOLDER = (0.0, codec.FINITE, -1, validation.INT64_MIN)

# Each attempt that loses the race waits for the winner's commit (PostgreSQL and MySQL block a
# conflicting insert until then), so this bounds progress, not spinning. It must exceed the
# writers that can race for one id: 64 clients starting new runs at once on 4 workers ran out
# of 20 attempts (a 503) in tests/reliability/test_load.py.
_NEW_SERIES_ATTEMPTS = 1000

# SQLite binds one multi-row VALUES statement about twice as fast as executemany; 1,000 rows
# of 4 parameters stay far below its 32766-variable limit.
_ROWS_PER_STATEMENT = 1000

# (run surrogate key, metric key) -> series id
SeriesIds = dict[tuple[int, str], int]

# SQLite: one point in one statement. Inserting into this TEMP view fires a trigger that checks
# the run is active, inserts the point (exact duplicates ignored) and advances the latest value,
# all in the statement's own implicit transaction: one statement instead of BEGIN, INSERT,
# UPDATE and COMMIT, which makes a training loop's commit about a sixth cheaper.
RUN_NOT_ACTIVE = "runwell: run not active"
SQLITE_POINT_SETUP = (
    "CREATE TEMP VIEW IF NOT EXISTS metric_point AS SELECT 0 AS run, '' AS key, 0 AS series, "
    "0 AS timestamp, 0 AS step, 0.0 AS value, 0 AS kind WHERE 0",
    f"""CREATE TEMP TRIGGER IF NOT EXISTS metric_point_insert INSTEAD OF INSERT ON metric_point
BEGIN
  SELECT RAISE(ABORT, '{RUN_NOT_ACTIVE}') WHERE NOT EXISTS (
    SELECT 1 FROM runs WHERE id = NEW.run AND lifecycle_stage = 'active');
  INSERT OR IGNORE INTO metrics (series, timestamp, step, value, kind)
    VALUES (NEW.series, NEW.timestamp, NEW.step, NEW.value, NEW.kind);
  UPDATE latest_metrics
    SET value = NEW.value, kind = NEW.kind, timestamp = NEW.timestamp, step = NEW.step
    WHERE run = NEW.run AND key = NEW.key AND (NEW.step > step OR (NEW.step = step AND
      (NEW.timestamp > timestamp OR (NEW.timestamp = timestamp AND NEW.value > value))));
END""",
)
# Parameters: run, key, series, timestamp, step, value, kind.
SQLITE_INSERT_POINT = "INSERT INTO metric_point VALUES (?, ?, ?, ?, ?, ?, ?)"


class Statements:
    """The metric statements of one dialect, compiled to strings once per store."""

    def __init__(self, raw: RawConnections) -> None:
        m = raw.mark
        dialect = raw.dialect
        key = "`key`" if dialect == "mysql" else "key"
        columns = "(series, timestamp, step, value, kind)"
        ignore = {"sqlite": "INSERT OR IGNORE", "mysql": "INSERT IGNORE"}.get(dialect, "INSERT")
        conflict = "" if dialect in ("sqlite", "mysql") else " ON CONFLICT DO NOTHING"
        self.dialect = dialect
        self.insert_point = (
            f"{ignore} INTO metrics {columns} VALUES ({m}, {m}, {m}, {m}, {m}){conflict}"
        )
        # One point, only while its run is active (rowcount 0: duplicate or inactive run).
        # Parameters: series, timestamp, step, value, kind, run.
        self.insert_checked_point = (
            f"{ignore} INTO metrics {columns} SELECT {m}, {m}, {m}, {m}, {m} FROM runs "
            f"WHERE id = {m} AND lifecycle_stage = 'active'{conflict}"
        )
        # The latest point per key is the max of (step, timestamp, value), as in MLflow.
        # Parameters: value, kind, timestamp, step, run, key, step, step, timestamp,
        # timestamp, value.
        self.advance_latest = (
            f"UPDATE latest_metrics SET value = {m}, kind = {m}, timestamp = {m}, step = {m} "
            f"WHERE run = {m} AND {key} = {m} AND ({m} > step OR ({m} = step AND "
            f"({m} > timestamp OR ({m} = timestamp AND {m} > value))))"
        )
        self.insert_block = (
            "INSERT INTO metric_blocks (series, first_timestamp, first_step, last_timestamp, "
            f"last_step, count, points) VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m})"
        )
        # A new series takes the next id; when a concurrent writer took the same id first,
        # the insert does nothing and is retried (SQLite's write lock makes that impossible).
        self.new_series = (
            f"{ignore} INTO latest_metrics (run, {key}, id, value, kind, timestamp, step) "
            f"SELECT {m}, {m}, COALESCE(MAX(id), 0) + 1, {m}, {m}, {m}, {m} FROM latest_metrics"
            f"{conflict}"
        )
        # A locking read sees a series another transaction just committed (MySQL's plain
        # reads would keep this transaction's older snapshot).
        self.series_id = f"SELECT id FROM latest_metrics WHERE run = {m} AND {key} = {m}" + (
            "" if dialect == "sqlite" else " FOR UPDATE"
        )

    def insert_points(self, cursor: Any, flat: list[Any], special: list[Any]) -> None:
        """Insert ``flat`` finite points (4 values each, kind 0) and ``special`` 5-tuples."""
        if self.dialect != "sqlite":
            rows = [(*flat[i : i + 4], codec.FINITE) for i in range(0, len(flat), 4)]
            cursor.executemany(self.insert_point, rows + special)
            return
        count = len(flat) // 4
        for start in range(0, count, _ROWS_PER_STATEMENT):
            size = min(_ROWS_PER_STATEMENT, count - start)
            cursor.execute(_multi_insert(size), flat[start * 4 : (start + size) * 4])
        if special:
            cursor.executemany(self.insert_point, special)


@functools.lru_cache(maxsize=64)
def _multi_insert(rows: int) -> str:
    # Finite points only: their kind is written as a literal, a fifth fewer values to bind.
    values = ", ".join([f"(?, ?, ?, ?, {codec.FINITE})"] * rows)
    return f"INSERT OR IGNORE INTO metrics (series, timestamp, step, value, kind) VALUES {values}"


def series_id(
    sql: Statements, cursor: Any, run_pk: int, key: str, known: SeriesIds, new: SeriesIds
) -> int:
    """The series of ``key`` in the run, created if it is new (``new`` collects created ones)."""
    found = known.get((run_pk, key))
    if found is not None:
        return found
    for _attempt in range(_NEW_SERIES_ATTEMPTS):
        cursor.execute(sql.new_series, (run_pk, key, *_PLACEHOLDER))
        cursor.execute(sql.series_id, (run_pk, key))
        row = cursor.fetchone()
        if row is not None:
            new[(run_pk, key)] = int(row[0])
            return int(row[0])
    raise Unavailable(
        f"Could not create the series of metric '{key}': too many concurrent writers."
    )


def advance_latest(
    sql: Statements, cursor: Any, run_pk: int, key: str, point: tuple[Any, ...]
) -> None:
    """Make ``point`` (value, kind, timestamp, step) the key's latest if it is newer."""
    cursor.execute(sql.advance_latest, _latest_parameters(run_pk, key, *point))


def _latest_parameters(
    run_pk: int, key: str, value: float, kind: int, timestamp: int, step: int
) -> tuple[Any, ...]:
    """The parameters of Statements.advance_latest."""
    return (value, kind, timestamp, step, run_pk, key, step, step, timestamp, timestamp, value)


def log_metrics(
    sql: Statements, cursor: Any, run_pk: int, metrics: Sequence[Metric], known: SeriesIds
) -> SeriesIds:
    """Insert history points (exact duplicates ignored) and advance each key's latest value.

    Returns the series this created, for the caller to cache once the transaction commits.
    """
    new: SeriesIds = {}
    if not metrics:
        return new
    valid_key = validation.valid_key
    low, high = validation.INT64_MIN, validation.INT64_MAX
    # key -> [series, step, point, timestamps, steps, values]: the batch's latest point of the
    # key, and all of its points as columns.
    latest: dict[str, list[Any]] = {}
    # One pass validates and groups the points and finds each key's latest point. It runs
    # once per point, so it avoids function calls: a key is checked once per batch (when first
    # seen), and any failed check falls back to validation.metric for the precise error.
    for m in metrics:
        key, value, timestamp, step = m.key, m.value, m.timestamp, m.step
        if (
            type(key) is not str
            or (type(value) is not float and type(value) is not int)
            or type(timestamp) is not int
            or not 0 <= timestamp <= high
            or type(step) is not int
            or not low <= step <= high
        ):
            validation.metric(m)
        try:
            best = latest[key]
        except KeyError:
            if not valid_key(key):
                validation.metric(m)
            series = series_id(sql, cursor, run_pk, key, known, new)
            best = latest[key] = [series, step, m, [], [], []]
        else:
            if step > best[1] or (step == best[1] and _later(m, best[2])):
                best[1] = step
                best[2] = m
        best[3].append(timestamp)
        best[4].append(step)
        best[5].append(value)
    flat: list[Any] = []  # finite points as rows: series, timestamp, step, value
    special: list[Any] = []  # NaN and infinities: (series, timestamp, step, value, kind)
    blocks: list[tuple[Any, ...]] = []
    for series, _step, _m, timestamps, steps, values in latest.values():
        if len(timestamps) >= metric_blocks.BLOCK_MIN_POINTS:
            block = metric_blocks.Block.ordered(timestamps, steps, values)
            blocks.append(metric_blocks.block_row(series, block))
            continue
        for timestamp, step, value in zip(timestamps, steps, values, strict=True):
            if value - value != 0:
                special.append((series, timestamp, step, *codec.encode(value)))
            else:
                flat += (series, timestamp, step, value)
    sql.insert_points(cursor, flat, special)
    if blocks:
        cursor.executemany(sql.insert_block, blocks)
    cursor.executemany(
        sql.advance_latest,
        [
            _latest_parameters(run_pk, key, *encoded(m.value), m.timestamp, step)
            for key, (_series, step, m, *_columns) in latest.items()
        ],
    )
    return new


def encoded(value: float) -> tuple[float, int]:
    """The stored (value, kind) of a metric value."""
    return (value, codec.FINITE) if value - value == 0 else codec.encode(value)


def _later(point: Metric, than: Metric) -> bool:
    """At the same step: the later timestamp, then the larger (stored) value wins."""
    return (point.timestamp, encoded(point.value)[0]) > (than.timestamp, encoded(than.value)[0])
