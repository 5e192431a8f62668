"""Metric histories over REST: paging, fetching ahead, and decoding every spelling of a point."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from runwell.entities import Metric
from runwell.errors import InvalidArgument
from runwell.store.rest import history
from runwell.store.rest.history import metrics_in_bulk, peek_token
from runwell.store.rest.tracking import RestTrackingStore
from runwell.store.rest.transport import Transport
from runwell.wire.codec import metrics_from_json, metrics_to_json
from tests.rest.conftest import Script, Server

Serve = Callable[[Script], str]


def _points(start: int, stop: int) -> list[Metric]:
    return [Metric(key="m", value=i + 0.5, timestamp=1000 + i, step=i) for i in range(start, stop)]


def _page(points: list[Metric], token: str | None, token_first: bool = False) -> bytes:
    body: dict[str, Any] = {"metrics": metrics_to_json(points)}
    if token:
        body = (
            {"next_page_token": token, **body}
            if token_first
            else {**body, "next_page_token": token}
        )
    return json.dumps(body).encode()


@pytest.fixture
def rest(scripted: Serve) -> Iterator[Callable[[Script], RestTrackingStore]]:
    opened: list[Transport] = []

    def make(script: Script) -> RestTrackingStore:
        url = scripted(script)
        opened.append(Transport(url, max_retries=0))
        return RestTrackingStore(url, opened[-1])

    yield make
    for transport in opened:
        transport.close()


@pytest.mark.parametrize("token_first", [False, True])
def test_whole_histories_follow_every_page_token(
    rest: Callable[[Script], RestTrackingStore], token_first: bool
) -> None:
    script = Script(
        [
            (200, _page(_points(0, 3), "t1", token_first)),
            (200, _page(_points(3, 6), "t2", token_first)),
            (200, _page(_points(6, 7), None)),
        ]
    )
    store = rest(script)
    store.history_page_size = 3
    assert list(store.get_metric_history("r", "m").items) == _points(0, 7)
    queries = [parse_qs(r.query) for r in script.received]
    assert [q.get("page_token") for q in queries] == [None, ["t1"], ["t2"]]
    assert all(q["max_results"] == ["3"] and q["metric_key"] == ["m"] for q in queries)


def test_one_page_is_one_request(rest: Callable[[Script], RestTrackingStore]) -> None:
    script = Script([(200, _page(_points(0, 5), "next"))])
    page = rest(script).get_metric_history("r", "m", max_results=5)
    assert list(page.items) == _points(0, 5) and page.token == "next"
    assert len(script.received) == 1
    assert rest(Script([(200, b"{}")])).get_metric_history("r", "unknown").items == []


def test_the_token_is_read_from_the_end_of_the_body() -> None:
    assert peek_token(_page(_points(0, 2), "abc=")) == "abc="
    assert peek_token(_page(_points(0, 2), None)) is None
    assert peek_token(_page(_points(0, 2), "abc", token_first=True)) == "abc"  # in the tail
    assert peek_token(_page(_points(0, 200), "abc", token_first=True)) is None  # not read
    assert peek_token(b'{"metrics": [{"key": "next_page_token", "value": 1}]}') is None
    assert peek_token(b'{"metrics": [], "next_page_token": "') is None
    spaced = b'{"metrics": [],\n  "next_page_token" :  "x y"\n}'
    assert peek_token(spaced) == "x y"


def test_points_in_every_wire_spelling_decode_to_the_same_metrics(
    rest: Callable[[Script], RestTrackingStore],
) -> None:
    body = {
        "metrics": [
            {"key": "m", "value": "NaN", "timestamp": "5", "step": 1},
            {"key": "m", "value": "Infinity", "timestamp": 6},
            {"key": "m", "value": "-Infinity", "timestamp": 7, "step": "3", "run_id": "r"},
            {"key": "m", "value": 2, "timestamp": 8, "step": 4},
        ]
    }
    points = rest(Script([(200, json.dumps(body).encode())])).get_metric_history("r", "m").items
    assert math.isnan(points[0].value) and (points[0].timestamp, points[0].step) == (5, 1)
    assert [(p.value, p.timestamp, p.step) for p in points[1:]] == [
        (math.inf, 6, 0),
        (-math.inf, 7, 3),
        (2.0, 8, 4),
    ]
    assert type(points[3].value) is float


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"key": "m", "timestamp": 1}, r"metrics\[1\]\.value"),
        ({"key": "m", "value": 1.0}, r"metrics\[1\]\.timestamp"),
        ({"key": "m", "value": "high", "timestamp": 1}, r"metrics\[1\]\.value"),
        ({"value": 1.0, "timestamp": 1}, r"metrics\[1\]\.key"),
    ],
)
def test_malformed_points_are_refused_naming_the_field(
    rest: Callable[[Script], RestTrackingStore], point: dict[str, Any], message: str
) -> None:
    body = {"metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}, point]}
    store = rest(Script([(200, json.dumps(body).encode())]))
    with pytest.raises(InvalidArgument, match=message):
        store.get_metric_history("r", "m")


def test_bulk_decoding_matches_the_careful_decoder() -> None:
    items = json.loads(_page(_points(0, 1000), None))["metrics"]
    assert metrics_in_bulk(items) == metrics_from_json(items)
    assert metrics_in_bulk([]) == []


def test_pages_of_a_live_server_are_pipelined_in_order(server: Server) -> None:
    run_id = server.store.create_run("0", "u", 1).info.run_id
    points = _points(0, 2500)
    for start in range(0, 2500, 1000):
        server.store.log_batch(run_id, metrics=points[start : start + 1000])
    store = RestTrackingStore(server.url)
    store.history_page_size = 300
    assert list(store.get_metric_history(run_id, "m").items) == points
    assert history.HISTORY_PAGE >= 100_000
