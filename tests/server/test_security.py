"""Host allow-list, CORS and security headers, on a real server."""

from __future__ import annotations

import pytest

from runwell.server.security import HostPatterns, OriginPatterns, split_host
from tests.server.conftest import Live, StartLive

GET_EXPERIMENT = "/api/2.0/mlflow/experiments/get?experiment_id=0"


def test_split_host_handles_ports_and_ipv6() -> None:
    assert split_host("example.com:8080") == ("example.com", "8080")
    assert split_host("example.com") == ("example.com", None)
    assert split_host("[::1]:5000") == ("[::1]", "5000")
    assert split_host("[::1]") == ("[::1]", None)


def test_host_patterns() -> None:
    patterns = HostPatterns(["localhost", "*.corp.example", "api.example:8443"])
    assert patterns.allows("localhost:5000")
    assert patterns.allows("LOCALHOST")
    assert patterns.allows("ml.corp.example:80")
    assert patterns.allows("api.example:8443")
    assert not patterns.allows("api.example:8444")
    assert not patterns.allows("corp.example.evil.com")
    assert not patterns.allows(None)
    assert HostPatterns(["*"]).allows("anything:1")


def test_origin_patterns() -> None:
    origins = OriginPatterns(["http://localhost:*", "https://ui.example"])
    assert origins.allows("http://localhost:3000")
    assert origins.allows("http://localhost")
    assert origins.allows("https://ui.example")
    assert not origins.allows("https://ui.example.evil.com")
    assert not origins.allows("null")


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1", "[::1]:80", "LocalHost:1"])
def test_default_hosts_are_allowed_with_any_port(live: Live, host: str) -> None:
    response = live.http.get(GET_EXPERIMENT, headers={"Host": host})
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example:5000", "10.0.0.1:5000"])
def test_other_hosts_are_refused_with_403(live: Live, host: str) -> None:
    response = live.http.get(GET_EXPERIMENT, headers={"Host": host})
    assert response.status_code == 403
    assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert "--allowed-hosts" in response.json()["message"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_health_is_exempt_from_the_host_check(live: Live) -> None:
    response = live.http.get("/health", headers={"Host": "10.1.2.3:5000"})
    assert (response.status_code, response.text) == (200, "OK")


def test_configured_hosts_replace_the_defaults(start_live: StartLive) -> None:
    live = start_live(allowed_hosts=["tracking.example"])
    assert live.http.get(GET_EXPERIMENT, headers={"Host": "tracking.example:80"}).status_code == 200
    assert live.http.get(GET_EXPERIMENT).status_code == 403


def test_allowed_origin_gets_cors_headers(live: Live) -> None:
    origin = "http://localhost:3000"
    response = live.http.get(GET_EXPERIMENT, headers={"Origin": origin})
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["vary"] == "Origin"


def test_preflight_from_allowed_and_other_origins(live: Live) -> None:
    headers = {
        "Origin": "http://127.0.0.1:8080",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = live.http.options("/api/2.0/mlflow/runs/create", headers=headers)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "http://127.0.0.1:8080"
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert ok.headers["access-control-allow-headers"] == "content-type"
    refused = live.http.options(
        "/api/2.0/mlflow/runs/create", headers={**headers, "Origin": "https://evil.example"}
    )
    assert refused.status_code == 403


def test_cross_origin_writes_from_other_origins_are_refused(live: Live) -> None:
    response = live.http.post(
        "/api/2.0/mlflow/experiments/create",
        json={"name": "csrf"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "--cors-allowed-origins" in response.json()["message"]
    assert live.store.find_experiment_by_name("csrf") is None
    # A read gets no CORS header, so the browser keeps the answer from the page.
    read = live.http.get(GET_EXPERIMENT, headers={"Origin": "https://evil.example"})
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers


def test_same_origin_writes_pass(live: Live) -> None:
    host = live.url.removeprefix("http://")
    response = live.http.post(
        "/api/2.0/mlflow/experiments/create",
        json={"name": "ui"},
        headers={"Origin": live.url, "Host": host},
    )
    assert response.status_code == 200


def test_wildcard_origin_allows_any(start_live: StartLive) -> None:
    live = start_live(cors_origins=["*"])
    response = live.http.post(
        "/api/2.0/mlflow/experiments/create",
        json={"name": "open"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://elsewhere.example"
