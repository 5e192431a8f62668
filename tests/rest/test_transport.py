"""The HTTP transport against real (scripted) servers: retries, errors, auth, timeouts."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from runwell._version import __version__
from runwell.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidArgument,
    NotFound,
    RestException,
    RunwellError,
    Unavailable,
)
from runwell.store import uri as uris
from runwell.store.rest.tracking import RestTrackingStore
from runwell.store.rest.transport import Transport, shared_transport
from tests.rest.conftest import Script

Serve = Callable[[Script], str]

EXPERIMENT = json.dumps(
    {"experiment": {"experiment_id": "7", "name": "e", "lifecycle_stage": "active"}}
).encode()


def _envelope(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode()


_open: list[Transport] = []


def _transport(url: str, **options: float) -> Transport:
    transport = Transport(url, **options)  # type: ignore[arg-type]
    _open.append(transport)
    return transport


@pytest.fixture(autouse=True)
def _close_transports() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def _store(url: str, retries: int = 3) -> RestTrackingStore:
    return RestTrackingStore(url, _transport(url, max_retries=retries, backoff_factor=0.01))


def test_503_is_retried_until_the_server_answers(scripted: Serve) -> None:
    script = Script([(503, b"busy"), (503, b"busy"), (200, EXPERIMENT)])
    store = _store(scripted(script))
    assert store.get_experiment("7").name == "e"
    assert len(script.received) == 3
    assert all(r.query == "experiment_id=7" for r in script.received)


def test_429_and_503_are_retried_even_for_creates(scripted: Serve) -> None:
    script = Script([(429, b""), (503, b""), (200, b'{"experiment_id": "7"}'), (200, EXPERIMENT)])
    store = _store(scripted(script))
    assert store.create_experiment("e").experiment_id == "7"
    assert [r.path for r in script.received] == [
        "/api/2.0/mlflow/experiments/create",
        "/api/2.0/mlflow/experiments/create",
        "/api/2.0/mlflow/experiments/create",
        "/api/2.0/mlflow/experiments/get",
    ]


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (400, _envelope("INVALID_PARAMETER_VALUE", "bad 'name'"), InvalidArgument, None),
        (400, _envelope("RESOURCE_ALREADY_EXISTS", "exists"), AlreadyExists, None),
        (404, _envelope("RESOURCE_DOES_NOT_EXIST", "no such"), NotFound, None),
        (500, _envelope("INTERNAL_ERROR", "boom"), RunwellError, ErrorCode.INTERNAL_ERROR),
        (404, b"<html>Not Found</html>", RunwellError, ErrorCode.ENDPOINT_NOT_FOUND),
        (403, b"", RunwellError, ErrorCode.PERMISSION_DENIED),
    ],
)
def test_deterministic_errors_are_raised_at_once_as_runwell_errors(
    scripted: Serve,
    status: int,
    body: bytes,
    error: type[RunwellError],
    code: ErrorCode | None,
) -> None:
    script = Script([(status, body)])
    with pytest.raises(error) as raised:
        _store(scripted(script)).get_experiment("7")
    assert len(script.received) == 1
    assert isinstance(raised.value, RestException)  # MLflow's type for a server's answer
    if code is not None:  # a code without a subclass of its own: none of the specific ones
        assert raised.value.code is code
        assert not isinstance(raised.value, (InvalidArgument, AlreadyExists, NotFound))


def test_gateway_errors_are_retried_only_when_repeating_is_safe(scripted: Serve) -> None:
    reads = Script([(502, b""), (504, b""), (200, EXPERIMENT)])
    assert _store(scripted(reads)).get_experiment("7").experiment_id == "7"
    assert len(reads.received) == 3
    creates = Script([(502, b"bad gateway")])
    with pytest.raises(RunwellError, match="HTTP 502"):
        _store(scripted(creates)).create_run("0", "u", 1)
    assert len(creates.received) == 1  # a lost answer to a create must not create twice


def test_retries_give_up_with_the_servers_last_answer(scripted: Serve) -> None:
    script = Script([(503, _envelope("TEMPORARILY_UNAVAILABLE", "database is locked"))])
    with pytest.raises(Unavailable, match="database is locked"):
        _store(scripted(script), retries=2).get_run("abc")
    assert len(script.received) == 3


def test_a_refused_connection_is_retried_then_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(Unavailable, match=rf"127\.0\.0\.1:{port}.*after 2 retries"):
        _store(url, retries=2).get_experiment("0")
    assert time.monotonic() - started < 5


def test_a_slow_answer_times_out_without_retrying(scripted: Serve) -> None:
    script = Script([(200, EXPERIMENT)], delay=2.0)
    url = scripted(script)
    store = RestTrackingStore(url, _transport(url, timeout=0.3, max_retries=3))
    started = time.monotonic()
    with pytest.raises(RunwellError, match=r"within 0\.3 s") as raised:
        store.get_experiment("7")
    assert raised.value.code is ErrorCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 1.5
    assert len(script.received) == 1


def test_timeout_and_retries_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "7.5")
    monkeypatch.setenv("RUNWELL_HTTP_REQUEST_MAX_RETRIES", "1")
    transport = _transport("http://127.0.0.1:1")
    assert (transport.timeout, transport.max_retries) == (7.5, 1)
    monkeypatch.setenv("RUNWELL_HTTP_REQUEST_TIMEOUT", "soon")
    with pytest.raises(InvalidArgument, match="RUNWELL_HTTP_REQUEST_TIMEOUT"):
        Transport("http://127.0.0.1:1")


def test_bearer_token_and_user_agent_reach_the_server(
    scripted: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Script([(200, EXPERIMENT)])
    url = scripted(script)
    monkeypatch.setenv("RUNWELL_TRACKING_TOKEN", "s3cret")
    uris.tracking_store(url).get_experiment("7")
    headers = script.received[0].headers
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["user-agent"] == f"runwell/{__version__}"


def test_basic_auth_wins_over_a_token_and_mlflow_names_work(
    scripted: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Script([(200, EXPERIMENT)])
    url = scripted(script)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "ignored")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("RUNWELL_TRACKING_PASSWORD", "pa:ss")
    RestTrackingStore(url).get_experiment("7")
    expected = base64.b64encode(b"alice:pa:ss").decode()
    assert script.received[0].headers["authorization"] == f"Basic {expected}"


def test_no_credentials_no_authorization_header(scripted: Serve) -> None:
    script = Script([(200, EXPERIMENT)])
    RestTrackingStore(scripted(script)).get_experiment("7")
    assert "authorization" not in script.received[0].headers


def test_transports_are_shared_per_server_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    first = shared_transport("http://127.0.0.1:5000/")
    assert shared_transport("http://127.0.0.1:5000") is first
    monkeypatch.setenv("RUNWELL_TRACKING_TOKEN", "other")
    assert shared_transport("http://127.0.0.1:5000") is not first


def test_bodies_and_queries_follow_the_wire_rules(scripted: Serve) -> None:
    script = Script([(200, b"{}")])
    store = _store(scripted(script))
    from runwell.entities import Metric

    store.log_metric("r1", Metric(key="m", value=float("nan"), timestamp=5, step=2))
    sent = script.received[0]
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.body) == {
        "run_id": "r1",
        "run_uuid": "r1",
        "key": "m",
        "value": "NaN",
        "timestamp": 5,
        "step": 2,
    }
    store.get_metric_history("r1", "a b&c", max_results=10)
    assert script.received[1].query == ("run_id=r1&run_uuid=r1&metric_key=a+b%26c&max_results=10")


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'"text"'])
def test_a_success_that_is_not_a_json_object_is_an_error(scripted: Serve, body: bytes) -> None:
    with pytest.raises(RunwellError, match="not a JSON object"):
        _store(scripted(Script([(200, body)]))).get_run("abc")


def test_empty_success_bodies_read_as_empty_objects(scripted: Serve) -> None:
    script = Script([(200, b""), (200, b"200 OK")])
    store = _store(scripted(script))
    store.delete_run("abc")
    store.restore_run("abc")
    assert len(script.received) == 2


@pytest.mark.parametrize("url", ["ftp://host/x", "http://", "localhost:5000"])
def test_bad_server_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidArgument, match="http"):
        Transport(url)
