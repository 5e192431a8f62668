"""Reading a metric history: the ``metrics`` rows and the packed blocks merged in order.

History order is ``(timestamp, step, value, kind)`` with exact duplicates shown once. Rows come
back from the database in that order (their primary key). Each block is in that order too, so
the common case (blocks logged one after another, no single points in between) is a plain
concatenation; only overlapping sources pay for a sort. A page that resumes after a point reads
the rows after it and the blocks that end at or after it, and stops reading blocks as soon as
the rest cannot come before the points it already has.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator
from typing import Any

from runwell.store.sql import codec, history_pages
from runwell.store.sql.metric_blocks import Block, SortKey, sort_key
from runwell.store.sql.raw import RawConnections


class HistoryPage:
    """A page of points as columns, and the key of its last point when more follow."""

    __slots__ = ("block", "next_after", "rows")

    def __init__(
        self, rows: list[Any] | None, block: Block | None, next_after: SortKey | None
    ) -> None:
        self.rows = rows  # (value or None for NaN, timestamp, step) rows, or
        self.block = block  # the same points as columns
        self.next_after = next_after


def read_page(
    raw: RawConnections, cursor: Any, series: int, after: SortKey | None, limit: int | None
) -> HistoryPage:
    """Up to ``limit`` points of ``series`` that come after ``after`` (all when None)."""
    need = None if limit is None else limit + 1
    rows = _rows(raw, cursor, series, after, need)
    blocks = _blocks(raw, cursor, series, after)
    first = next(blocks, None)
    if first is None:  # no blocks: the rows are the page
        if need is not None and len(rows) == need:
            rows = rows[:limit]
            last = rows[-1]
            return HistoryPage(rows, None, sort_key(last[1], last[2], _value(last[0])))
        return HistoryPage(rows, None, None)
    runs: list[Block] = []
    if rows:
        runs.append(Block([r[1] for r in rows], [r[2] for r in rows], [_value(r[0]) for r in rows]))
    collected = len(rows)
    # The latest (timestamp, step) seen so far: a block that starts after it, once enough
    # points are in hand, cannot contribute to this page, and neither can any later block.
    horizon = (rows[-1][1], rows[-1][2]) if rows else None
    block: tuple[tuple[int, int], Block] | None = first
    while block is not None:
        start, points = block
        if need is not None and collected >= need and horizon is not None and start > horizon:
            break
        if after is not None and points.key(0) <= after:
            points = _after(points, after)
        if len(points):
            runs.append(points)
            collected += len(points)
            end = (points.timestamps[-1], points.steps[-1])
            horizon = end if horizon is None or end > horizon else horizon
        block = next(blocks, None)
    merged = _merge(runs)
    if need is not None and len(merged) >= need:
        cut = Block(merged.timestamps[:limit], merged.steps[:limit], merged.values[:limit])
        return HistoryPage(None, cut, cut.key(len(cut) - 1))
    return HistoryPage(None, merged, None)


def _value(decoded: float | None) -> float:
    return math.nan if decoded is None else decoded


def _rows(
    raw: RawConnections, cursor: Any, series: int, after: SortKey | None, need: int | None
) -> list[Any]:
    """The ``metrics`` rows after ``after`` as (value or None, timestamp, step)."""
    mark = raw.mark
    value = codec.decoded_value_sql(raw.dialect)
    sql = f"SELECT {value}, timestamp, step FROM metrics WHERE series = {mark}"
    if after is not None:
        sql += f" AND (timestamp, step, value, kind) > ({mark}, {mark}, {mark}, {mark})"
    sql += " ORDER BY timestamp, step, value, kind"
    if need is not None:
        sql += f" LIMIT {need}"
    cursor.execute(sql, (series, *(after or ())))
    return history_pages.points(cursor.fetchall(), raw.dialect)


def _blocks(
    raw: RawConnections, cursor: Any, series: int, after: SortKey | None
) -> Iterator[tuple[tuple[int, int], Block]]:
    """The blocks that may hold points after ``after``, by their first point."""
    mark = raw.mark
    sql = f"SELECT first_timestamp, first_step, points FROM metric_blocks WHERE series = {mark}"
    parameters: tuple[Any, ...] = (series,)
    if after is not None:
        sql += (
            f" AND (last_timestamp > {mark} OR (last_timestamp = {mark} AND last_step >= {mark}))"
        )
        parameters += (after[0], after[0], after[1])
    sql += " ORDER BY first_timestamp, first_step, id"
    cursor.execute(sql, parameters)
    # Rows are fetched in slices so a first page of a long history stops reading early.
    while True:
        fetched = cursor.fetchmany(64)
        if not fetched:
            return
        for first_timestamp, first_step, data in fetched:
            yield (first_timestamp, first_step), Block.unpack(bytes(data))


def _after(block: Block, after: SortKey) -> Block:
    start = bisect.bisect_right(range(len(block)), after, key=block.key)
    return Block(block.timestamps[start:], block.steps[start:], block.values[start:])


def _merge(runs: list[Block]) -> Block:
    """One block of the points of ``runs`` (each in order, without duplicates)."""
    if len(runs) == 1:
        return runs[0]
    runs.sort(key=lambda run: run.key(0))
    if all(a.key(len(a) - 1) < b.key(0) for a, b in itertools.pairwise(runs)):
        merged = Block([], [], [])
        for run in runs:
            merged.timestamps += run.timestamps
            merged.steps += run.steps
            merged.values += run.values
        return merged
    # Overlapping sources: sort every point by its key and drop exact duplicates.
    keys = sorted(
        {
            sort_key(t, s, v)
            for run in runs
            for t, s, v in zip(run.timestamps, run.steps, run.values, strict=True)
        }
    )
    return Block(
        [k[0] for k in keys], [k[1] for k in keys], [codec.decode(k[2], k[3]) for k in keys]
    )
