"""get-history-bulk-interval: sampled steps shared by several runs, and its limits."""

from __future__ import annotations

from typing import Any

from runwell.entities import Metric
from runwell.server.routes.metrics import sampled_steps
from tests.server.conftest import Live

T0 = 1_700_000_000_000


def _run_with_steps(live: Live, steps: range, key: str = "loss") -> str:
    run_id = live.store.create_run("0", "u", T0).info.run_id
    live.store.log_batch(
        run_id, metrics=[Metric(key=key, value=float(s), timestamp=T0 + s, step=s) for s in steps]
    )
    return run_id


def _bulk(live: Live, **params: Any) -> Any:
    return live.ok("GET", "/mlflow/metrics/get-history-bulk-interval", params=params)


def test_sampled_steps_keep_the_ends_and_the_count() -> None:
    assert sampled_steps([3, 1, 2, 2], 10) == {1, 2, 3}
    chosen = sampled_steps(list(range(1000)), 11)
    assert len(chosen) == 11
    assert {0, 999} <= chosen
    assert sampled_steps([5, 6, 7], 1) == {5}


def test_bulk_interval_returns_points_of_each_run_with_its_id(live: Live) -> None:
    first = _run_with_steps(live, range(10))
    second = _run_with_steps(live, range(5, 15))
    got = _bulk(live, run_ids=[first, second], metric_key="loss", start_step=4, end_step=12)
    by_run: dict[str, list[int]] = {}
    for point in got["metrics"]:
        assert point["key"] == "loss"
        by_run.setdefault(point["run_id"], []).append(point["step"])
    assert by_run[first] == [4, 5, 6, 7, 8, 9]
    assert by_run[second] == list(range(5, 13))


def test_bulk_interval_samples_to_max_results(live: Live) -> None:
    run_id = _run_with_steps(live, range(100))
    got = _bulk(live, run_ids=run_id, metric_key="loss", max_results=5)
    assert [p["step"] for p in got["metrics"]] == [0, 25, 50, 74, 99]


def test_bulk_interval_refuses_bad_requests(live: Live) -> None:
    run_id = _run_with_steps(live, range(3))
    path = "/mlflow/metrics/get-history-bulk-interval"
    bad: list[dict[str, Any]] = [
        {"metric_key": "loss"},
        {"run_ids": [f"{i:032x}" for i in range(101)], "metric_key": "loss"},
        {"run_ids": run_id},
        {"run_ids": run_id, "metric_key": "loss", "start_step": 5, "end_step": 1},
        {"run_ids": run_id, "metric_key": "loss", "max_results": 2501},
        {"run_ids": run_id, "metric_key": "loss", "max_results": "many"},
    ]
    for params in bad:
        live.fails("GET", path, None, 400, "INVALID_PARAMETER_VALUE", params=params)
    assert _bulk(live, run_ids=run_id, metric_key="other") == {}
