"""Metric series (one per run and key): created once, under concurrency, never from a rollback."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from runwell.entities import Metric
from runwell.errors import InvalidArgument
from runwell.store.sql.tracking import SqlTrackingStore


def _run_id(store: SqlTrackingStore) -> str:
    return store.create_run("0", "alice", 1000).info.run_id


def test_a_rolled_back_batch_leaves_no_series_behind(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    bad = Metric(key="fresh", value=1.0, timestamp=-5, step=0)
    with pytest.raises(InvalidArgument, match="imestamp"):
        store.log_batch(run_id, metrics=[Metric(key="fresh", value=0.5, timestamp=1, step=0), bad])
    assert store.get_run(run_id).data.metric_list == ()
    # The key is new again: this goes through the series creation, not a stale cached id.
    store.log_metric(run_id, Metric(key="fresh", value=0.25, timestamp=2, step=1))
    store.log_metric(run_id, Metric(key="fresh", value=0.125, timestamp=3, step=2))
    history = store.get_metric_history(run_id, "fresh").items
    assert [(m.value, m.step) for m in history] == [(0.25, 1), (0.125, 2)]
    assert [(m.key, m.value) for m in store.get_run(run_id).data.metric_list] == [("fresh", 0.125)]


def test_a_series_made_by_another_store_is_found_not_duplicated(
    db_url: str, tmp_path: Path
) -> None:
    first = SqlTrackingStore(db_url, tmp_path.as_uri())
    second = SqlTrackingStore(db_url, tmp_path.as_uri())
    run_id = _run_id(first)
    first.log_metric(run_id, Metric(key="loss", value=1.0, timestamp=1, step=0))
    second.log_metric(run_id, Metric(key="loss", value=0.5, timestamp=2, step=1))
    first.log_metric(run_id, Metric(key="loss", value=0.25, timestamp=3, step=2))
    history = second.get_metric_history(run_id, "loss").items
    assert [m.value for m in history] == [1.0, 0.5, 0.25]
    assert second.get_run(run_id).data.metric_list[0].value == 0.25


def test_concurrent_writers_create_distinct_series(db_url: str, tmp_path: Path) -> None:
    setup = SqlTrackingStore(db_url, tmp_path.as_uri())
    runs = [_run_id(setup) for _ in range(2)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(worker: int) -> None:
        store = SqlTrackingStore(db_url, tmp_path.as_uri())
        try:
            start.wait(10)
            for key_index in range(8):
                for run_id in runs:
                    store.log_batch(
                        run_id,
                        metrics=[
                            Metric(key=f"k{key_index}", value=float(worker), timestamp=s, step=s)
                            for s in range(worker * 10, worker * 10 + 5)
                        ],
                    )
        except BaseException as exc:  # reported below, with the worker's traceback
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for run_id in runs:
        for key_index in range(8):
            history = setup.get_metric_history(run_id, f"k{key_index}").items
            assert len(history) == 20
            assert {m.value for m in history} == {0.0, 1.0, 2.0, 3.0}
        latest = {m.key: m.value for m in setup.get_run(run_id).data.metric_list}
        assert latest == {f"k{i}": 3.0 for i in range(8)}
