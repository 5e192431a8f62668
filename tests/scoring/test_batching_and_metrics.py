"""Micro-batching groups concurrent requests into fewer predict calls; /metrics counts them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.scoring.conftest import EchoModel, RowSumModel

Served = Callable[..., str]
_JSON = {"Content-Type": "application/json"}


async def _burst(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=20) as client:
        return await asyncio.gather(*(client.post("/invocations", json=b) for b in bodies))


def _rows(i: int, n: int = 1) -> dict[str, Any]:
    return {"dataframe_split": {"columns": ["a", "b"], "data": [[i, 1000 * k] for k in range(n)]}}


def _expected(i: int, n: int = 1) -> list[float]:
    return [float(i + 1000 * k) for k in range(n)]


def test_concurrent_requests_share_predict_calls_and_get_their_own_rows(served: Served) -> None:
    model = RowSumModel(delay_s=0.02)
    url = served(model, batch_max_size=16, batch_max_latency_ms=20)
    sizes = [1 + i % 3 for i in range(32)]
    responses = asyncio.run(_burst(url, [_rows(i, n) for i, n in enumerate(sizes)]))
    for i, (n, response) in enumerate(zip(sizes, responses, strict=True)):
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": _expected(i, n)}
    assert len(model.calls) < len(sizes)  # grouped: fewer predict calls than requests
    assert sum(model.calls) == sum(sizes)
    assert max(model.calls) > 3  # some call served several requests
    metrics = httpx.get(f"{url}/metrics").text
    assert f"runwell_scoring_predict_calls_total {len(model.calls)}" in metrics


def test_batches_never_exceed_batch_max_size(served: Served) -> None:
    model = RowSumModel(delay_s=0.02)
    url = served(model, batch_max_size=4, batch_max_latency_ms=20)
    responses = asyncio.run(_burst(url, [_rows(i) for i in range(24)]))
    assert all(r.status_code == 200 for r in responses)
    assert max(model.calls) <= 4
    assert len(model.calls) < 24


def test_series_predictions_are_split_back_per_request(served: Served) -> None:
    model = RowSumModel(delay_s=0.02, output="series")
    url = served(model, batch_max_size=16, batch_max_latency_ms=20)
    responses = asyncio.run(_burst(url, [_rows(i, 2) for i in range(12)]))
    for i, response in enumerate(responses):
        assert response.json() == {"predictions": [{"sum": v} for v in _expected(i, 2)]}
    assert len(model.calls) < 12


def test_predictions_that_do_not_map_to_rows_are_predicted_per_request(served: Served) -> None:
    model = RowSumModel(delay_s=0.01, output="scalar")
    url = served(model, batch_max_size=16, batch_max_latency_ms=20)
    responses = asyncio.run(_burst(url, [_rows(i, 2) for i in range(8)]))
    for i, response in enumerate(responses):
        assert response.json() == {"predictions": sum(_expected(i, 2))}


def test_a_bad_request_in_a_batch_fails_alone(served: Served) -> None:
    model = RowSumModel(delay_s=0.02)
    url = served(model, batch_max_size=16, batch_max_latency_ms=20)
    bodies = [_rows(i) for i in range(8)]
    bad = {"dataframe_split": {"columns": ["a", "b", "bad"], "data": [[1, 2, 3]]}}
    responses = asyncio.run(_burst(url, [*bodies, bad, *bodies]))
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 8 + [400] + [200] * 8
    assert responses[8].json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert responses[0].json() == {"predictions": _expected(0)}


def test_requests_with_params_or_other_columns_are_not_mixed(served: Served) -> None:
    model = EchoModel()
    url = served(model, batch_max_size=16, batch_max_latency_ms=20)
    bodies: list[dict[str, Any]] = [
        {"dataframe_split": {"columns": ["a"], "data": [[1]]}, "params": {"k": 1}},
        {"dataframe_split": {"columns": ["a"], "data": [[2]]}},
        {"dataframe_split": {"columns": ["z"], "data": [["s"]]}},
    ]
    responses = asyncio.run(_burst(url, bodies))
    echoed = [r.json()["predictions"] for r in responses]
    assert echoed[0]["params"] == {"k": 1}
    assert echoed[0]["input"]["records"] == [{"a": 1}]
    assert echoed[1]["input"]["records"] == [{"a": 2}]
    assert echoed[2]["input"]["records"] == [{"z": "s"}]


def test_without_batching_each_request_is_its_own_predict_call(served: Served) -> None:
    model = RowSumModel(delay_s=0.005)
    url = served(model)
    responses = asyncio.run(_burst(url, [_rows(i) for i in range(10)]))
    assert all(r.status_code == 200 for r in responses)
    assert model.calls == [1] * 10


def _sample(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match is not None, f"{name} not in /metrics"
    return float(match.group(1))


def test_metrics_count_requests_by_status_and_latency(served: Served) -> None:
    url = served(RowSumModel())
    before = httpx.get(f"{url}/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain; version=0.0.4")
    for i in range(3):
        assert httpx.post(f"{url}/invocations", json=_rows(i)).status_code == 200
    assert httpx.post(f"{url}/invocations", content=b"{", headers=_JSON).status_code == 400
    text = httpx.get(f"{url}/metrics").text
    ok = 'runwell_scoring_requests_total{path="/invocations",status="200"}'
    bad = 'runwell_scoring_requests_total{path="/invocations",status="400"}'
    assert _sample(text, ok) == 3
    assert _sample(text, bad) == 1
    count = 'runwell_scoring_request_duration_seconds_count{path="/invocations"}'
    assert _sample(text, count) == 4
    inf = 'runwell_scoring_request_duration_seconds_bucket{path="/invocations",le="+Inf"}'
    assert _sample(text, inf) == 4
    assert _sample(text, "runwell_scoring_predict_calls_total") == 3
    httpx.get(f"{url}/ping")
    again = httpx.get(f"{url}/metrics").text
    assert _sample(again, 'runwell_scoring_requests_total{path="/ping",status="200"}') == 1
    assert _sample(again, 'runwell_scoring_requests_total{path="/metrics",status="200"}') == 2


@pytest.mark.parametrize(
    "options",
    [{"max_body_bytes": 0}, {"batch_max_size": 0}, {"batch_max_latency_ms": -1}],
)
def test_build_app_refuses_bad_options(options: dict[str, Any]) -> None:
    from runwell.errors import InvalidArgument
    from runwell.scoring import build_app

    with pytest.raises(InvalidArgument, match=next(iter(options))):
        build_app(EchoModel(), **options)
