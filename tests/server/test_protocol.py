"""The wire rules of reference/mlflow-rest-api.md §1: request parsing, encoding, errors."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from runwell.store.protocols import ArtifactRepo
from runwell.wire.version import MLFLOW_PROTOCOL_VERSION, RUNWELL_VERSION_HEADER
from tests.server.conftest import Live, StartLive

T0 = 1_700_000_000_000


def _run_id(live: Live) -> str:
    run_id: str = live.ok("POST", "/mlflow/runs/create", {"experiment_id": "0"})["run"]["info"][
        "run_id"
    ]
    return run_id


# ---------------------------------------------------------------- requests


def test_get_without_query_string_reads_a_json_body(live: Live) -> None:
    response = live.http.request(
        "GET", "/api/2.0/mlflow/experiments/get", content=b'{"experiment_id": "0"}'
    )
    assert response.status_code == 200
    assert response.json()["experiment"]["name"] == "Default"


def test_camel_case_aliases_are_accepted_but_not_both_spellings(live: Live) -> None:
    created = live.ok("POST", "/mlflow/runs/create", {"experimentId": "0", "runName": "camel"})
    assert created["run"]["info"]["run_name"] == "camel"
    message = live.fails(
        "POST",
        "/mlflow/runs/create",
        {"experiment_id": "0", "experimentId": "0"},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "experiment_id" in message


def test_int64_strings_enum_numbers_and_numeric_ids(live: Live) -> None:
    # An id is a string field: a JSON number is refused, as protobuf's parser refuses it.
    live.fails("POST", "/mlflow/runs/create", {"experiment_id": 0}, 400, "INVALID_PARAMETER_VALUE")
    run = live.ok("POST", "/mlflow/runs/create", {"experiment_id": "0", "start_time": str(T0)})
    run_id = run["run"]["info"]["run_id"]
    assert run["run"]["info"]["start_time"] == T0
    info = live.ok(
        "POST", "/mlflow/runs/update", {"run_id": run_id, "status": 4, "end_time": str(T0 + 1)}
    )["run_info"]
    assert info["status"] == "FAILED"
    assert info["end_time"] == T0 + 1


def test_a_json_string_holding_json_is_decoded_twice(live: Live) -> None:
    body = json.dumps(json.dumps({"name": "legacy"}))
    response = live.http.post(
        "/api/2.0/mlflow/experiments/create",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert live.store.find_experiment_by_name("legacy") is not None


def test_bare_nan_literals_in_a_body_are_accepted(live: Live) -> None:
    run_id = _run_id(live)
    body = f'{{"run_id": "{run_id}", "key": "m", "value": NaN, "timestamp": {T0}}}'
    response = live.http.post(
        "/api/2.0/mlflow/runs/log-metric",
        content=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "Content-Type header is missing"),
        ({"Content-Type": "text/plain"}, "Content-Type must be one of"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "Content-Type must be one of"),
    ],
)
def test_post_requires_a_json_content_type(
    live: Live, headers: dict[str, str], fragment: str
) -> None:
    response = live.http.post(
        "/api/2.0/mlflow/experiments/create", content=b'{"name": "x"}', headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert fragment in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"just a string"', b"\xff\xfe", b'{"name": '],
)
def test_malformed_bodies_are_400_never_500(live: Live, body: bytes) -> None:
    response = live.http.post(
        "/api/2.0/mlflow/experiments/create",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/mlflow/experiments/create", {"name": {"nested": 1}}, "name"),
        ("/mlflow/experiments/create", {"name": "x", "tags": "k=v"}, "tags"),
        ("/mlflow/experiments/create", {"name": "x", "tags": [{"value": "v"}]}, "tags[0].key"),
        ("/mlflow/runs/create", {"experiment_id": True}, "experiment_id"),
        ("/mlflow/runs/create", {"experiment_id": "0", "start_time": "soon"}, "start_time"),
        ("/mlflow/runs/search", {"experiment_ids": [["0"]]}, "experiment_ids"),
        ("/mlflow/runs/search", {"experiment_ids": ["0"], "max_results": 1.5}, "max_results"),
        ("/mlflow/experiments/search", {"max_results": 5, "view_type": []}, "view_type"),
    ],
)
def test_wrong_types_name_the_field(
    live: Live, path: str, body: dict[str, Any], field: str
) -> None:
    message = live.fails("POST", path, body, 400, "INVALID_PARAMETER_VALUE")
    assert field in message


def test_repeated_scalar_query_fields_are_refused(live: Live) -> None:
    message = live.fails(
        "GET",
        "/mlflow/experiments/get",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params=[("experiment_id", "0"), ("experiment_id", "1")],
    )
    assert "experiment_id" in message


# ---------------------------------------------------------------- responses


def test_responses_encode_numbers_nan_and_omit_empty_fields(live: Live) -> None:
    run_id = _run_id(live)
    points = [
        {"key": "m", "value": "NaN", "timestamp": T0, "step": 0},
        {"key": "m", "value": "Infinity", "timestamp": T0 + 1, "step": 1},
        {"key": "m", "value": "-Infinity", "timestamp": T0 + 2, "step": 2},
        {"key": "m", "value": 2, "timestamp": T0 + 3, "step": 3},
    ]
    live.ok("POST", "/mlflow/runs/log-batch", {"run_id": run_id, "metrics": points})
    response = live.call(
        "GET", "/mlflow/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}
    )
    assert response.headers["content-type"] == "application/json"
    history = response.json()["metrics"]
    assert [p["value"] for p in history] == ["NaN", "Infinity", "-Infinity", 2.0]
    assert all(type(p["timestamp"]) is int and type(p["step"]) is int for p in history)
    run = live.ok("GET", "/mlflow/runs/get", params={"run_id": run_id})["run"]
    assert "end_time" not in run["info"]
    assert "params" not in run["data"]
    assert run["data"]["metrics"] == [{"key": "m", "value": 2.0, "timestamp": T0 + 3, "step": 3}]
    assert live.call("POST", "/mlflow/runs/set-tag", {"run_id": run_id, "key": "k"}).text == "{}"


# ---------------------------------------------------------------- routes and errors


@pytest.mark.parametrize("prefix", ["/api/2.0", "/ajax-api/2.0"])
def test_ajax_twin_serves_the_same_endpoints(live: Live, prefix: str) -> None:
    got = live.ok("GET", "/mlflow/experiments/get", params={"experiment_id": "0"}, prefix=prefix)
    assert got["experiment"]["experiment_id"] == "0"
    created = live.ok("POST", "/mlflow/experiments/create", {"name": prefix}, prefix=prefix)
    assert live.store.get_experiment(created["experiment_id"]).name == prefix


@pytest.mark.parametrize(
    "path",
    [
        "/api/2.0/mlflow/nothing-here",
        "/ajax-api/2.0/mlflow/runs/none",
        "/api/3.0/mlflow/runs/get",
        "/api/2.0/mlflow/no-such/rpc",
        "/elsewhere",
    ],
)
def test_unknown_routes_are_json_endpoint_not_found(live: Live, path: str) -> None:
    response = live.http.get(path)
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_wrong_method_is_405_with_allow(live: Live) -> None:
    response = live.http.delete("/api/2.0/mlflow/runs/get")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error_code"] == "BAD_REQUEST"
    response = live.http.get("/api/2.0/mlflow/runs/create")
    assert response.status_code == 405


def _broken_factory(uri: str) -> ArtifactRepo:
    raise RuntimeError(f"secret detail about {uri}")


def test_unexpected_errors_are_a_logged_generic_500(
    start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    live = start_live(artifact_repo_factory=_broken_factory)
    with caplog.at_level(logging.ERROR, logger="runwell.server"):
        response = live.call("GET", "/mlflow-artifacts/artifacts", params={"path": "x"})
    assert response.status_code == 500
    assert response.json() == {
        "error_code": "INTERNAL_ERROR",
        "message": "Internal server error; see the server log.",
    }
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert any("secret detail" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_openapi_document_and_docs_page(live: Live) -> None:
    spec = live.http.get("/openapi.json").json()
    assert "/api/2.0/mlflow/runs/log-batch" in spec["paths"]
    assert "/ajax-api/2.0/mlflow/runs/log-batch" not in spec["paths"]
    assert live.http.get("/docs").status_code == 200


def test_health_version_and_server_info(live: Live) -> None:
    health = live.http.get("/health")
    assert (health.status_code, health.text) == (200, "OK")
    assert health.headers["content-type"].startswith("text/plain")
    import runwell

    version = live.http.get("/version")
    # MLflow's client parses the body as the MLflow version; runwell's own rides in a header.
    assert version.text == MLFLOW_PROTOCOL_VERSION
    assert version.headers[RUNWELL_VERSION_HEADER] == runwell.__version__
    for prefix in ("/api/3.0", "/ajax-api/3.0"):
        info = live.http.get(prefix + "/mlflow/server-info").json()
        assert info["multipart_uploads_enabled"] is False
        assert info["multipart_downloads_enabled"] is False
        assert info["artifacts_presigned_only"] is False
        assert info["artifact_serving_enabled"] is True


def test_access_log_has_one_line_per_request(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="runwell.server.access"):
        live.http.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    lines = [r.getMessage() for r in caplog.records if r.name == "runwell.server.access"]
    assert len(lines) == 1
    assert lines[0].startswith("method=GET path=/api/2.0/mlflow/experiments/get status=200 ")
    assert "duration_ms=" in lines[0]


def test_static_prefix_moves_every_route(start_live: StartLive) -> None:
    live = start_live(static_prefix="/mlflow")
    assert live.http.get("/mlflow/health").text == "OK"
    got = live.ok(
        "GET", "/mlflow/experiments/get", params={"experiment_id": "0"}, prefix="/mlflow/api/2.0"
    )
    assert got["experiment"]["name"] == "Default"
    assert live.http.get("/mlflow/api/3.0/mlflow/server-info").status_code == 200
    assert live.http.get("/api/2.0/mlflow/experiments/get?experiment_id=0").status_code == 404
    assert live.http.get("/mlflow/openapi.json").status_code == 200


def test_oversized_json_bodies_are_refused_before_reading(live: Live) -> None:
    from runwell.server.request import MAX_JSON_BODY

    # Only the headers are sent: the answer must come without waiting for the body.
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {MAX_JSON_BODY + 1}\r\n\r\n".encode()
        )
        head = b""
        while b"}" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                break
            head += chunk
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b'"error_code":"BAD_REQUEST"' in head

    def chunks() -> Iterator[bytes]:
        block = b" " * (1024 * 1024)
        for _ in range(MAX_JSON_BODY // len(block) + 2):
            yield block

    streamed = live.http.post(
        "/api/2.0/mlflow/runs/log-batch",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status_code == 400
    assert "MiB" in streamed.json()["message"]
