"""Metric histories stored as packed blocks, merged with single-point rows, on every backend.

A key with at least BLOCK_MIN_POINTS points in one batch is stored as one block; fewer go to
the history rows. Whatever the mix, a history is every distinct point in (timestamp, step,
value) order, and pages of it concatenate to the whole.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from runwell.entities import Metric
from runwell.errors import InvalidArgument
from runwell.store.protocols import TrackingStore
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine
from runwell.store.sql.metric_blocks import BLOCK_MIN_POINTS
from runwell.store.sql.tracking import SqlTrackingStore

Point = tuple[int, int, float]  # timestamp, step, value


def _metrics(key: str, points: list[Point]) -> list[Metric]:
    return [Metric(key=key, value=v, timestamp=t, step=s) for t, s, v in points]


def _expected(points: list[Point]) -> list[Point]:
    """Distinct points in history order (NaN sorts as 0 after a real 0, ±inf at the ends)."""

    def order(p: Point) -> tuple[int, int, float, int]:
        t, s, v = p
        if math.isnan(v):
            return t, s, 0.0, 1
        if math.isinf(v):
            return t, s, math.copysign(1.7976931348623157e308, v), 2
        return t, s, v, 0

    return sorted({order(p): p for p in points}.values(), key=order)


def _history(store: TrackingStore, run_id: str, key: str, page: int | None = None) -> list[Point]:
    if page is None:
        items = store.get_metric_history(run_id, key).items
    else:
        items, token = [], None
        while True:
            found = store.get_metric_history(run_id, key, max_results=page, page_token=token)
            assert len(found.items) <= page
            items += found.items
            token = found.token
            if token is None:
                break
    return [(m.timestamp, m.step, m.value) for m in items]


def _same(got: list[Point], want: list[Point]) -> None:
    assert [(t, s) for t, s, _ in got] == [(t, s) for t, s, _ in want]
    for (_, _, a), (_, _, b) in zip(got, want, strict=True):
        assert a == b or (math.isnan(a) and math.isnan(b))


def _run(store: TrackingStore) -> str:
    return store.create_run("0", "alice", 1000).info.run_id


def test_a_batch_of_one_key_reads_back_in_order(store: TrackingStore) -> None:
    run_id = _run(store)
    points = [(1000 + i // 3, i, i * 0.5) for i in range(200)]
    store.log_batch(run_id, metrics=_metrics("loss", points))
    _same(_history(store, run_id, "loss"), points)
    [latest] = store.get_run(run_id).data.metric_list
    assert (latest.value, latest.step) == (99.5, 199)


def test_disorder_duplicates_and_special_values_inside_one_batch(store: TrackingStore) -> None:
    run_id = _run(store)
    rng = random.Random(7)
    points: list[Point] = [(rng.randrange(5), rng.randrange(5), rng.random()) for _ in range(60)]
    points += [(2, 2, math.nan), (2, 2, math.inf), (2, 2, -math.inf), (2, 2, 0.0), (2, 2, 1.5)]
    points += points[:20]  # exact duplicates
    points += [(3, 1, math.nan)] * 3
    rng.shuffle(points)
    store.log_batch(run_id, metrics=_metrics("m", points))
    want = _expected(points)
    _same(_history(store, run_id, "m"), want)
    _same(_history(store, run_id, "m", page=7), want)


def test_blocks_and_single_points_interleave_and_overlap(store: TrackingStore) -> None:
    run_id = _run(store)
    first = [(100 + i, i, float(i)) for i in range(0, 100, 2)]
    later = [(300 + i, 200 + i, float(i)) for i in range(40)]
    overlap = [(100 + i, i, float(i)) for i in range(1, 60, 2)] + first[:10]  # odd steps + dups
    store.log_batch(run_id, metrics=_metrics("x", later))
    store.log_batch(run_id, metrics=_metrics("x", first))
    singles = [(150, 500, 2.0), (100, 0, 0.0), (399, 239, 39.0), (1, 1, 1.0)]
    for t, s, v in singles:
        store.log_metric(run_id, Metric(key="x", value=v, timestamp=t, step=s))
    store.log_batch(run_id, metrics=_metrics("x", overlap))
    want = _expected(first + later + overlap + singles)
    _same(_history(store, run_id, "x"), want)
    for page in (1, 5, BLOCK_MIN_POINTS, 33, 1000):
        _same(_history(store, run_id, "x", page=page), want)


def test_pages_across_non_overlapping_blocks(store: TrackingStore) -> None:
    run_id = _run(store)
    points = [(10_000 + i, i, i / 7) for i in range(500)]
    for start in range(0, 500, 50):
        store.log_batch(run_id, metrics=_metrics("acc", points[start : start + 50]))
    for page in (1, 49, 50, 51, 499, 500, 501):
        _same(_history(store, run_id, "acc", page=page), points)


def test_block_threshold_either_side(store: TrackingStore) -> None:
    run_id = _run(store)
    small = [(5, i, 1.0 / (i + 1)) for i in range(BLOCK_MIN_POINTS - 1)]
    exact = [(6, i, 2.0 / (i + 1)) for i in range(BLOCK_MIN_POINTS)]
    store.log_batch(run_id, metrics=_metrics("a", small) + _metrics("b", exact))
    _same(_history(store, run_id, "a"), small)
    _same(_history(store, run_id, "b"), exact)


def test_an_invalid_batch_stores_no_block(store: TrackingStore) -> None:
    run_id = _run(store)
    good = [(1, i, float(i)) for i in range(100)]
    store.log_batch(run_id, metrics=_metrics("kept", good))
    bad = _metrics("kept", [(2, i, float(i)) for i in range(100)])
    bad.append(Metric(key="kept", value=1.0, timestamp=3, step=2**63))
    with pytest.raises(InvalidArgument, match="step"):
        store.log_batch(run_id, metrics=bad)
    _same(_history(store, run_id, "kept"), good)


def test_latest_value_and_search_see_block_points(store: TrackingStore) -> None:
    run_id = _run(store)
    other = _run(store)
    store.log_batch(run_id, metrics=_metrics("score", [(1, i, i / 100) for i in range(100)]))
    store.log_batch(other, metrics=_metrics("score", [(1, i, 0.1) for i in range(100)]))
    found = store.search_runs(["0"], filter_string="metrics.score > 0.5").items
    assert [r.info.run_id for r in found] == [run_id]


def _count(db_url: str, table: str) -> int:
    with get_engine(db_url).connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_a_batch_key_is_one_row_and_small_keys_stay_rows(db_url: str, tmp_path: Path) -> None:
    store = SqlTrackingStore(db_url, tmp_path.as_uri())
    run_id = _run(store)
    store.log_batch(
        run_id,
        metrics=_metrics("big", [(1, i, 0.5) for i in range(300)])
        + _metrics("small", [(1, i, 0.5) for i in range(3)]),
    )
    assert (_count(db_url, "metric_blocks"), _count(db_url, "metrics")) == (1, 3)


def test_downgrade_turns_blocks_back_into_rows(db_url: str, tmp_path: Path) -> None:
    store = SqlTrackingStore(db_url, tmp_path.as_uri())
    run_id = _run(store)
    points = [(7, i, [0.25, math.nan, math.inf, -math.inf][i % 4]) for i in range(40)]
    store.log_metric(run_id, Metric(key="k", value=0.25, timestamp=7, step=0))  # also a block's
    store.log_batch(run_id, metrics=_metrics("k", points))
    engine = get_engine(db_url)
    migrate.downgrade(engine, "0004")
    assert _count(db_url, "metrics") == 40
    migrate.upgrade(engine)
    reopened = SqlTrackingStore(db_url, tmp_path.as_uri())
    _same(_history(reopened, run_id, "k"), _expected(points))


def test_int64_extremes_in_blocks(store: TrackingStore) -> None:
    low, high = -(2**63), 2**63 - 1
    run_id = _run(store)
    uneven = [(high - i * (2**40), low + i * i, float(i)) for i in range(20)]
    even = [(high, high - 19 + i, 0.5) for i in range(20)]
    store.log_batch(run_id, metrics=_metrics("uneven", uneven) + _metrics("even", even))
    _same(_history(store, run_id, "uneven"), _expected(uneven))
    _same(_history(store, run_id, "even", page=3), even)
