"""The UI's aggregate reads on the SQL store: downsampled histories, metric summaries, run
counts and experiment summaries (store/sql/overview.py, history_sampling.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from runwell.entities import Metric, RunTag
from runwell.errors import InvalidArgument, NotFound
from runwell.store.sql import history_sampling
from runwell.store.sql.metric_blocks import Block
from runwell.store.sql.tracking import SqlTrackingStore


@pytest.fixture
def store(tmp_path: Path) -> SqlTrackingStore:
    return SqlTrackingStore(f"sqlite:///{tmp_path}/s.db", str(tmp_path / "artifacts"))


def _run(store: SqlTrackingStore, name: str = "r") -> str:
    experiment = store.find_experiment_by_name("e") or store.create_experiment("e")
    return store.create_run(experiment.experiment_id, "u", 1, run_name=name).info.run_id


def _log_blocks(store: SqlTrackingStore, run_id: str, values: list[float], key: str = "m") -> None:
    for start in range(0, len(values), 1000):
        chunk = values[start : start + 1000]
        store.log_batch(
            run_id,
            metrics=[
                Metric(key=key, value=v, timestamp=10_000 + start + i, step=start + i)
                for i, v in enumerate(chunk)
            ],
        )


def test_small_history_comes_back_whole_in_step_order(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    for step in (3, 1, 2):
        store.log_metric(run_id, Metric(key="m", value=step * 1.5, timestamp=100 - step, step=step))
    sampled = store.sample_metric_history(run_id, "m", buckets=10)
    assert (sampled.steps, sampled.values, sampled.total, sampled.sampled) == (
        (1, 2, 3),
        (1.5, 3.0, 4.5),
        3,
        False,
    )
    by_time = store.sample_metric_history(run_id, "m", x_axis="time")
    assert by_time.timestamps == (97, 98, 99)


def test_downsampling_keeps_every_bucket_extreme_and_the_spikes(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    values = [math.sin(i / 500) for i in range(20_000)]
    values[12_345] = 50.0
    values[777] = -40.0
    _log_blocks(store, run_id, values)
    sampled = store.sample_metric_history(run_id, "m", buckets=100)
    assert sampled.sampled and sampled.total == 20_000
    assert len(sampled.values) <= 2 * 100 + 2
    assert max(sampled.values) == 50.0 and min(sampled.values) == -40.0
    assert dict(zip(sampled.steps, sampled.values, strict=True))[12_345] == 50.0
    assert (sampled.steps[0], sampled.steps[-1]) == (0, 19_999)
    assert list(sampled.steps) == sorted(sampled.steps)


def test_a_range_narrows_the_sample_to_its_points(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    _log_blocks(store, run_id, [float(i) for i in range(5_000)])
    sampled = store.sample_metric_history(run_id, "m", buckets=50, start=1_000, end=1_999)
    assert sampled.total == 1_000
    assert (min(sampled.steps), max(sampled.steps)) == (1_000, 1_999)


def test_rows_past_the_fetch_limit_are_aggregated_in_sql(
    store: SqlTrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_sampling, "ROW_FETCH_LIMIT", 100)
    run_id = _run(store)
    for step in range(500):
        value = 99.0 if step == 250 else step % 7
        store.log_metric(run_id, Metric(key="m", value=value, timestamp=step, step=step))
    sampled = store.sample_metric_history(run_id, "m", buckets=20)
    assert sampled.total == 500 and sampled.sampled
    assert max(sampled.values) == 99.0 and min(sampled.values) == 0.0
    assert len(sampled.values) <= 2 * 20 + 2


def test_blocks_decode_in_one_go_as_one_by_one(store: SqlTrackingStore) -> None:
    """Evenly stepping columns that continue each other, that restart, and explicit columns
    decode to what the block format's own reader gives."""
    rng = np.random.default_rng(7)
    blocks = [
        Block([10, 11, 12], [0, 1, 2], [0.5, 1.5, 2.5], (10, 1), (0, 1)),
        Block([13, 14], [3, 4], [3.5, math.nan], (13, 1), (3, 1)),  # continues the first
        Block([5, 5, 5], [9, 7, 8], [1.0, 2.0, 3.0], (5, 0), None),  # restarts; steps listed
        Block(sorted(rng.integers(0, 99, 6).tolist()), [1] * 6, rng.normal(size=6).tolist()),
    ]
    packed = [b.pack() for b in blocks]
    timestamps, steps, values = history_sampling.blocks_arrays(packed)
    expected = [Block.unpack(p) for p in packed]
    assert timestamps.tolist() == [t for b in expected for t in b.timestamps]
    assert steps.tolist() == [s for b in expected for s in b.steps]
    np.testing.assert_array_equal(values, [v for b in expected for v in b.values])
    one = history_sampling.block_arrays(packed[2])
    assert (one[0].tolist(), one[1].tolist()) == ([5, 5, 5], [9, 7, 8])


def test_each_bucket_keeps_its_first_minimum_and_maximum() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n, buckets = int(rng.integers(2, 400)), int(rng.integers(1, 40))
        x = np.sort(rng.integers(0, 1_000, n)).astype(np.int64)
        values = rng.integers(0, 4, n).astype(np.float64)  # many ties
        kept = set(history_sampling.extremes(x, values, buckets).tolist())
        low, span = float(x[0]), float(x[-1] - x[0] + 1)
        expected = {0, n - 1}
        for bucket in range(buckets):
            inside = [i for i in range(n) if (x[i] - low) * buckets // span == bucket]
            if inside:
                expected.add(min(inside, key=lambda i: (values[i], i)))
                expected.add(min(inside, key=lambda i: (-values[i], i)))
        assert kept == expected


def test_a_time_range_reads_only_the_blocks_it_overlaps(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    _log_blocks(store, run_id, [float(i) for i in range(5_000)])  # timestamps 10,000 + step
    sampled = store.sample_metric_history(
        run_id, "m", x_axis="time", buckets=5_000, start=12_500, end=13_499
    )
    assert sampled.total == 1_000 and not sampled.sampled
    assert (sampled.timestamps[0], sampled.timestamps[-1]) == (12_500, 13_499)


def test_non_finite_points_are_counted_not_drawn(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    for step, value in enumerate([1.0, math.nan, math.inf, 2.0]):
        store.log_metric(run_id, Metric(key="m", value=value, timestamp=step, step=step))
    sampled = store.sample_metric_history(run_id, "m")
    assert (sampled.values, sampled.total, sampled.non_finite) == ((1.0, 2.0), 4, 2)


def test_sampling_rejects_bad_arguments_and_unknown_runs(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    with pytest.raises(InvalidArgument, match="buckets"):
        store.sample_metric_history(run_id, "m", buckets=0)
    with pytest.raises(InvalidArgument, match="x axis"):
        store.sample_metric_history(run_id, "m", x_axis="wall")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.sample_metric_history("f" * 32, "m")
    assert store.sample_metric_history(run_id, "missing").total == 0


def test_metric_summaries_merge_rows_and_blocks(store: SqlTrackingStore) -> None:
    run_id = _run(store)
    _log_blocks(store, run_id, [float(i % 10) for i in range(100)])
    store.log_metric(run_id, Metric(key="m", value=-5.0, timestamp=1, step=200))
    store.log_metric(run_id, Metric(key="n", value=math.nan, timestamp=1, step=0))
    summaries = {s.key: s for s in store.metric_summaries(run_id)}
    m = summaries["m"]
    assert (m.count, m.min, m.max) == (101, -5.0, 9.0)
    n = summaries["n"]
    assert (n.count, n.min, n.max, math.isnan(n.last)) == (1, None, None, True)


def test_counts_and_experiment_summaries(store: SqlTrackingStore) -> None:
    first = _run(store, "a")
    _run(store, "b")
    store.update_run_info(first, end_time=5_000)
    store.set_tag(first, RunTag(key="team", value="x"))
    experiment = store.find_experiment_by_name("e")
    assert experiment is not None
    eid = experiment.experiment_id
    assert store.count_runs([eid]) == 2
    assert store.count_runs([eid], "tags.team = 'x'") == 1
    summary = store.experiment_summaries([eid, "0"])
    assert (summary[eid].run_count, summary[eid].running_count) == (2, 2)
    assert summary[eid].last_activity == 5_000
    assert summary["0"].run_count == 0 and summary["0"].last_activity is None
