"""Checks of what the load clients logged, read straight from the database and the artifacts.

Each expected value comes from ``workload.py``; metric histories are compared as sorted lists
of (step, timestamp, value), so a lost point and a doubled one both show.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runwell.entities import Metric, RunStatus
from runwell.store.sql.tracking import SqlTrackingStore
from tests.scaleout import workload as w

Point = tuple[int, int, float]


def points(metrics: Sequence[Metric]) -> list[Point]:
    return sorted((m.step, m.timestamp, m.value) for m in metrics)


def history(store: SqlTrackingStore, run_id: str, key: str) -> list[Point]:
    return points(store.get_metric_history(run_id, key).items)


def latest(store: SqlTrackingStore, run_id: str) -> dict[str, Point]:
    return {m.key: (m.step, m.timestamp, m.value) for m in store.get_run(run_id).data.metric_list}


def check_batches_run(store: SqlTrackingStore, run_id: str) -> None:
    expected = [
        m for p, t in w.all_threads() for b in range(w.BATCHES) for m in w.batch_metrics(p, t, b)
    ]
    assert len(expected) == w.PROCESSES * w.THREADS * w.BATCHES * w.BATCH_SIZE
    assert history(store, run_id, "batch") == points(expected)
    assert latest(store, run_id) == {"batch": max(points(expected))}
    data = store.get_run(run_id).data
    assert data.param_dict == {
        param.key: param.value
        for p, t in w.all_threads()
        for param in (w.batch_param(p, t, b) for b in range(w.BATCHES))
    }
    batch_tags = {k: v for k, v in data.tag_dict.items() if k.startswith("batcher.")}
    assert batch_tags == {
        w.batch_tag(p, t).key: w.batch_tag(p, t).value for p, t in w.all_threads()
    }


def check_singles_run(store: SqlTrackingStore, run_id: str) -> None:
    singles = [m for p, t in w.all_threads() for m in w.single_metrics(p, t)]
    contended = [w.contended_metric(p, t) for p, t in w.all_threads()]
    assert history(store, run_id, "single") == points(singles)
    assert history(store, run_id, "contended") == points(contended)
    # Same step everywhere: the latest is the point with the last timestamp, whatever the
    # order in which the workers committed them.
    assert latest(store, run_id) == {
        "single": max(points(singles)),
        "contended": max(points(contended)),
    }
    data = store.get_run(run_id).data
    params = [w.single_param(p, t) for p, t in w.all_threads()]
    assert data.param_dict == {param.key: param.value for param in params}
    tags = {k: v for k, v in data.tag_dict.items() if k.startswith("tag.")}
    assert tags == {w.single_tag(p, t).key: w.single_tag(p, t).value for p, t in w.all_threads()}


def check_own_run(store: SqlTrackingStore, process: int, run_id: str) -> None:
    run = store.get_run(run_id)
    assert run.info.run_name == w.own_run_name(process)
    assert run.info.status is RunStatus.FINISHED
    latest_points = latest(store, run_id)
    for thread in range(w.THREADS):
        sent = points(w.own_metrics(thread))
        assert history(store, run_id, f"async.t{thread}") == sent
        assert latest_points[f"async.t{thread}"] == sent[-1]
    assert len(latest_points) == w.THREADS
    params = [w.own_param(process, t) for t in range(w.THREADS)]
    assert run.data.param_dict == {p.key: p.value for p in params}
    own_tags = {k: v for k, v in run.data.tag_dict.items() if k.startswith("own.")}
    tags = [w.own_tag(process, t) for t in range(w.THREADS)]
    assert own_tags == {t.key: t.value for t in tags}


def expected_artifacts() -> dict[str, bytes]:
    """Path under shared run 0's artifact root -> the bytes the clients uploaded there."""
    expected: dict[str, bytes] = {}
    for p, t in w.all_threads():
        expected[w.artifact_path(p, t)] = w.artifact_bytes(p, t)
        expected[w.note_path(p, t)] = w.note_text(p, t).encode()
    return expected


def check_local_artifacts(root: Path) -> None:
    """Exactly the clients' files under ``root``, byte for byte."""
    expected = expected_artifacts()
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == sorted(expected)
    for path, data in expected.items():
        assert (root / path).read_bytes() == data, path


def check_load(
    store: SqlTrackingStore, experiment_id: str, shared: Sequence[str], own: Sequence[str]
) -> None:
    """Everything the load clients logged, read from the database: each value exactly once."""
    batches, singles = shared
    check_batches_run(store, batches)
    check_singles_run(store, singles)
    for process, run_id in enumerate(own):
        check_own_run(store, process, run_id)
    found = store.search_runs([experiment_id], max_results=100).items
    assert sorted(r.info.run_id for r in found) == sorted([*shared, *own])
