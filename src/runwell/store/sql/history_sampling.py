"""A metric history downsampled for a chart, in SQL and numpy rather than point by point.

A chart a thousand pixels wide cannot show a million points, but it must not hide a spike
either: the x range is cut into ``buckets`` equal intervals and each keeps the point holding
its minimum and the one holding its maximum, plus the series' first and last point (at most
``2 * buckets + 2`` points, in x order). A history at or under that size comes back whole.

Packed blocks (metric_blocks.py) are decoded straight into numpy arrays. Single-point rows are
fetched as arrays while there are at most ``ROW_FETCH_LIMIT`` of them; past that the database
groups them by bucket itself and sends each bucket's minimum and maximum, placed at the
bucket's first and last x (the exact position of an extreme inside a bucket is lost, its value
is not). NaN and ±inf points are counted and left out: a chart cannot draw them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from runwell.store.sql import codec
from runwell.store.sql.metric_blocks import HEADER, PROGRESSION, STEPS_EVEN, TIMESTAMPS_EVEN
from runwell.store.sql.raw import RawConnections

# Fetching a row costs ~0.5 µs in the driver; past this many the database aggregates them.
ROW_FETCH_LIMIT = 200_000

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


class Points:
    """Columns of points: timestamps, steps, values (finite only), and how many were dropped."""

    __slots__ = ("non_finite", "steps", "timestamps", "total", "values")

    def __init__(
        self, timestamps: Ints, steps: Ints, values: Floats, total: int, non_finite: int
    ) -> None:
        self.timestamps = timestamps
        self.steps = steps
        self.values = values
        self.total = total
        self.non_finite = non_finite

    @classmethod
    def empty(cls) -> Points:
        none = np.empty(0, dtype=np.int64)
        return cls(none, none, np.empty(0, dtype=np.float64), 0, 0)

    @classmethod
    def joined(cls, parts: Sequence[Points]) -> Points:
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(
            np.concatenate([p.timestamps for p in parts]),
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.values for p in parts]),
            sum(p.total for p in parts),
            sum(p.non_finite for p in parts),
        )

    def x(self, axis: str) -> Ints:
        return self.steps if axis == "step" else self.timestamps


def block_arrays(data: bytes) -> tuple[Ints, Ints, Floats]:
    """The (timestamps, steps, values) of one packed block as arrays, without Python lists."""
    return blocks_arrays([data])


def _column(parts: list[tuple[int, int] | memoryview], counts: Ints) -> Ints:
    """One column of many blocks: each part is a block's (start, increment) or its int64s."""
    total = int(counts.sum())
    if all(isinstance(p, tuple) for p in parts):
        even = np.array(parts, dtype=np.int64).reshape(-1, 2)
        starts, increments = even[:, 0], even[:, 1]
        ends = starts + increments * counts
        if bool(np.all(increments == increments[0])) and bool(np.all(starts[1:] == ends[:-1])):
            # The blocks continue each other (points logged in order): one progression.
            whole: Ints = starts[0] + increments[0] * np.arange(total, dtype=np.int64)
            return whole
        offsets = np.repeat(np.cumsum(counts) - counts, counts)
        index = np.arange(total, dtype=np.int64) - offsets
        return np.repeat(starts, counts) + np.repeat(increments, counts) * index
    pieces = [
        p[0] + p[1] * np.arange(c, dtype=np.int64)
        if isinstance(p, tuple)
        else np.frombuffer(p, "<i8").astype(np.int64)
        for p, c in zip(parts, counts.tolist(), strict=True)
    ]
    return np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64)


def blocks_arrays(blobs: Sequence[bytes]) -> tuple[Ints, Ints, Floats]:
    """The (timestamps, steps, values) of packed blocks, joined in order.

    A block costs a few header reads here and nothing in numpy: the value sections are joined
    as bytes and read in one ``frombuffer``, and evenly stepping columns are generated in one
    go (one ``arange`` when the blocks continue each other), rather than a few numpy calls per
    block (the 1,000 blocks of a million-point metric: 32 ms that way, 15 ms this way, most of
    it now writing the three 8 MB columns).
    """
    counts: list[int] = []
    columns: tuple[list[tuple[int, int] | memoryview], ...] = ([], [])
    values: list[memoryview] = []
    for data in blobs:
        view = memoryview(data)
        flags, count = HEADER.unpack_from(view)
        offset = HEADER.size
        counts.append(count)
        for column, flag in zip(columns, (TIMESTAMPS_EVEN, STEPS_EVEN), strict=True):
            if flags & flag:
                column.append(PROGRESSION.unpack_from(view, offset))
                offset += PROGRESSION.size
            else:
                column.append(view[offset : offset + 8 * count])
                offset += 8 * count
        values.append(view[offset : offset + 8 * count])
    sizes = np.array(counts, dtype=np.int64)
    joined = np.frombuffer(b"".join(values), "<f8").astype(np.float64, copy=False)
    return _column(columns[0], sizes), _column(columns[1], sizes), joined


def _in_range(x: Ints, start: int | None, end: int | None) -> npt.NDArray[np.bool_] | None:
    if start is None and end is None:
        return None
    mask = np.ones(len(x), dtype=bool)
    if start is not None:
        mask &= x >= start
    if end is not None:
        mask &= x <= end
    return mask


def finite_points(
    timestamps: Ints, steps: Ints, values: Floats, axis: str, start: int | None, end: int | None
) -> Points:
    """The points in the x range, non-finite values counted and dropped."""
    mask = _in_range(steps if axis == "step" else timestamps, start, end)
    if mask is not None:
        timestamps, steps, values = timestamps[mask], steps[mask], values[mask]
    finite = np.isfinite(values)
    total = len(values)
    dropped = total - int(finite.sum())
    if dropped:
        timestamps, steps, values = timestamps[finite], steps[finite], values[finite]
    return Points(timestamps, steps, values, total, dropped)


def block_points(
    raw: RawConnections, cursor: Any, series: int, axis: str, start: int | None, end: int | None
) -> Points:
    """Every block of ``series`` decoded and joined, restricted to the x range.

    On the time axis a block's first and last timestamps are its extremes (a block is in
    history order), so blocks wholly outside the range are not read.
    """
    mark = raw.mark
    where, parameters = "", list[int]()
    if axis == "time":
        where, parameters = _range_sql("last_timestamp", mark, start, None)
        more, bound = _range_sql("first_timestamp", mark, None, end)
        where, parameters = where + more, parameters + bound
    cursor.execute(
        f"SELECT points FROM metric_blocks WHERE series = {mark}{where} "
        "ORDER BY first_timestamp, first_step, id",
        (series, *parameters),
    )
    blobs = [row[0] for row in cursor.fetchall()]
    if not blobs:
        return Points.empty()
    timestamps, steps, values = blocks_arrays(blobs)
    return finite_points(timestamps, steps, values, axis, start, end)


def _range_sql(column: str, mark: str, start: int | None, end: int | None) -> tuple[str, list[int]]:
    sql, parameters = "", []
    if start is not None:
        sql += f" AND {column} >= {mark}"
        parameters.append(start)
    if end is not None:
        sql += f" AND {column} <= {mark}"
        parameters.append(end)
    return sql, parameters


def row_points(
    raw: RawConnections,
    cursor: Any,
    series: int,
    axis: str,
    start: int | None,
    end: int | None,
    buckets: int,
    bounds: tuple[int, int] | None,
) -> Points:
    """The ``metrics`` rows of ``series`` in range: fetched, or aggregated per bucket in SQL.

    ``bounds`` is the x range of the points found elsewhere (blocks), so buckets computed
    here line up with theirs.
    """
    mark, column = raw.mark, "step" if axis == "step" else "timestamp"
    where, parameters = _range_sql(column, mark, start, end)
    cursor.execute(
        f"SELECT COUNT(*), SUM(CASE WHEN kind = {codec.FINITE} THEN 0 ELSE 1 END), "
        f"MIN({column}), MAX({column}) FROM metrics WHERE series = {mark}{where}",
        (series, *parameters),
    )
    count, non_finite, low, high = cursor.fetchone()
    if not count:
        return Points.empty()
    non_finite = int(non_finite or 0)
    finite_only = f"series = {mark} AND kind = {codec.FINITE}{where}"
    if count <= ROW_FETCH_LIMIT:
        cursor.execute(
            f"SELECT timestamp, step, value FROM metrics WHERE {finite_only} "
            "ORDER BY timestamp, step",
            (series, *parameters),
        )
        rows = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 3)
        return Points(
            rows[:, 0].astype(np.int64),
            rows[:, 1].astype(np.int64),
            rows[:, 2],
            int(count),
            non_finite,
        )
    if bounds is not None:
        low, high = min(low, bounds[0]), max(high, bounds[1])
    span = int(high) - int(low) + 1
    divide = "DIV" if raw.dialect == "mysql" else "/"
    other = "timestamp" if axis == "step" else "step"
    cursor.execute(
        f"SELECT ({column} - {mark}) * {mark} {divide} {mark} AS bucket, MIN(value), MAX(value), "
        f"MIN({column}), MAX({column}), MIN({other}), MAX({other}) "
        f"FROM metrics WHERE {finite_only} GROUP BY bucket ORDER BY bucket",
        (int(low), buckets, span, series, *parameters),
    )
    rows = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 7)
    # Two points a bucket: its minimum at its first x, its maximum at its last.
    x = np.column_stack((rows[:, 3], rows[:, 4])).ravel().astype(np.int64)
    o = np.column_stack((rows[:, 5], rows[:, 6])).ravel().astype(np.int64)
    values = np.column_stack((rows[:, 1], rows[:, 2])).ravel()
    steps, timestamps = (x, o) if axis == "step" else (o, x)
    return Points(timestamps, steps, values, int(count), non_finite)


def extremes(x: Ints, values: Floats, buckets: int) -> npt.NDArray[np.intp]:
    """Indices (ascending) of each bucket's first minimum and first maximum, and of the first
    and last point; ``x`` must be sorted.

    Bucket ``k`` holds the x in ``[low + k * span / buckets, low + (k + 1) * span / buckets)``;
    with x sorted, its bounds are a binary search each, so only the reductions and one
    comparison per extreme pass over all the points.
    """
    n = len(x)
    low, high = float(x[0]), float(x[-1])
    span = high - low + 1.0
    edges = low + span * np.arange(1, buckets, dtype=np.float64) / buckets
    bounds = np.searchsorted(x, edges, side="left")
    starts = np.unique(np.concatenate(([0], bounds[bounds < n])))
    lengths = np.diff(np.append(starts, n))
    kept = [np.array([0, n - 1])]
    for reduce in (np.minimum, np.maximum):
        best = reduce.reduceat(values, starts)
        hits = np.flatnonzero(values == np.repeat(best, lengths))
        segment = np.searchsorted(starts, hits, side="right")
        first = np.concatenate(([True], segment[1:] != segment[:-1]))
        kept.append(hits[first])
    return np.unique(np.concatenate(kept))


def downsample(points: Points, axis: str, buckets: int) -> tuple[Points, bool]:
    """The points in x order, reduced to each bucket's extremes when there are too many."""
    x = points.x(axis)
    if len(x) > 1 and not bool(np.all(x[1:] >= x[:-1])):
        order = np.argsort(x, kind="stable")
        points = Points(
            points.timestamps[order],
            points.steps[order],
            points.values[order],
            points.total,
            points.non_finite,
        )
        x = points.x(axis)
    if len(x) <= 2 * buckets + 2:
        return points, False
    keep = extremes(x, points.values, buckets)
    reduced = Points(
        points.timestamps[keep],
        points.steps[keep],
        points.values[keep],
        points.total,
        points.non_finite,
    )
    return reduced, True
