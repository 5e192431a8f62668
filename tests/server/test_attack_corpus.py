"""The attack corpus beyond artifact paths (test_artifact_paths.py) and model-version sources
(tests/registry/test_sources.py): SSRF targets, XSS payloads, oversized values, names that
differ only by encoding, huge ``max_results`` and forged deep page tokens. Every case is
answered with a 4xx (never a 5xx, which MLflow's client would retry) and changes nothing.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Live

API = "/mlflow"
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "</textarea><iframe src=//evil.example>",
    "\u202e\u0000-nul-and-bidi",
]


class Listener:
    """A loopback TCP listener that counts connections: a URL the server must never fetch."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def _four_xx(live: Live, method: str, path: str, body: Any = None, **kw: Any) -> dict[str, Any]:
    response = live.call(method, path, body, **kw)
    assert 400 <= response.status_code < 500, (path, body, response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    payload: dict[str, Any] = response.json()
    return payload


def test_ssrf_targets_are_never_fetched(live: Live, listener: Listener, tmp_path: Path) -> None:
    targets = [
        f"http://127.0.0.1:{listener.port}/x",
        f"https://127.0.0.1:{listener.port}/x",
        f"http://localhost:{listener.port}/api/2.0/mlflow-artifacts/artifacts/0",
        "http://169.254.169.254/latest/meta-data/",
        f"ftp://127.0.0.1:{listener.port}/x",
        f"gopher://127.0.0.1:{listener.port}/x",
        "file:///etc",
        "file:///proc/self",
        f"file://{tmp_path}",
    ]
    for number, target in enumerate(targets):
        created = live.call(
            "POST",
            f"{API}/experiments/create",
            {"name": f"ssrf{number}", "artifact_location": target},
        )
        if created.status_code != 200:
            assert 400 <= created.status_code < 500, created.text
            continue
        exp = created.json()["experiment_id"]
        run_id = live.ok("POST", f"{API}/runs/create", {"experiment_id": exp})["run"]["info"][
            "run_id"
        ]
        _four_xx(live, "GET", f"{API}/artifacts/list", params={"run_id": run_id})
        response = live.http.get("/get-artifact", params={"run_id": run_id, "path": "passwd"})
        assert 400 <= response.status_code < 500, (target, response.text)
        # A remote source is the client's to fetch (as MLflow's server does it): registering
        # one may succeed, but the server itself never connects to it.
        source = {"name": f"m{number}", "source": target, "run_id": run_id}
        live.ok("POST", f"{API}/registered-models/create", {"name": f"m{number}"})
        created_version = live.call("POST", f"{API}/model-versions/create", source)
        assert created_version.status_code in (200, 400), created_version.text
        if created_version.status_code == 200:
            live.ok(
                "GET",
                f"{API}/model-versions/get-download-uri",
                params={"name": f"m{number}", "version": "1"},
            )
    assert listener.connections == 0


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_are_stored_and_returned_verbatim_as_json(live: Live, payload: str) -> None:
    exp = live.ok("POST", f"{API}/experiments/create", {"name": "x" + payload})["experiment_id"]
    live.ok(
        "POST",
        f"{API}/experiments/set-experiment-tag",
        {"experiment_id": exp, "key": "note", "value": payload},
    )
    run = live.ok("POST", f"{API}/runs/create", {"experiment_id": exp, "run_name": payload})
    run_id = run["run"]["info"]["run_id"]
    live.ok("POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": payload})
    live.ok("POST", f"{API}/runs/set-tag", {"run_id": run_id, "key": "t", "value": payload})
    live.ok("POST", f"{API}/registered-models/create", {"name": "rm", "description": payload})
    response = live.call("GET", f"{API}/runs/get", params={"run_id": run_id})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    data = response.json()["run"]
    assert data["info"]["run_name"] == payload
    assert {p["key"]: p["value"] for p in data["data"]["params"]}["p"] == payload
    assert {t["key"]: t["value"] for t in data["data"]["tags"]}["t"] == payload
    experiment = live.ok("GET", f"{API}/experiments/get", params={"experiment_id": exp})
    assert experiment["experiment"]["name"] == "x" + payload
    assert experiment["experiment"]["tags"] == [{"key": "note", "value": payload}]
    model = live.ok("GET", f"{API}/registered-models/get", params={"name": "rm"})
    assert model["registered_model"]["description"] == payload


def test_long_param_and_tag_values_are_cut_to_their_limits(live: Live) -> None:
    """MLflow's server truncates these by default (reference/mlflow-limits-and-validation.md)."""
    run_id = live.store.create_run("0", "u", 0).info.run_id
    live.ok(
        "POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "v" * 10**6}
    )
    live.ok("POST", f"{API}/runs/set-tag", {"run_id": run_id, "key": "t", "value": "v" * 10**6})
    run = live.store.get_run(run_id)
    assert len(run.data.param_dict["p"]) == 6000
    assert len(run.data.tag_dict["t"]) == 8000


def test_oversized_values_are_refused_and_nothing_is_stored(live: Live) -> None:
    run_id = live.store.create_run("0", "u", 0).info.run_id
    cases = [
        (f"{API}/runs/log-parameter", {"run_id": run_id, "key": "k" * 251, "value": "v"}),
        (f"{API}/experiments/create", {"name": "n" * 501}),
        (
            f"{API}/runs/log-batch",
            {"run_id": run_id, "metrics": [{"key": "m", "value": 1, "timestamp": 1}] * 1001},
        ),
        (
            f"{API}/runs/log-batch",
            {"run_id": run_id, "params": [{"key": f"p{i}", "value": "v"} for i in range(101)]},
        ),
        (f"{API}/registered-models/create", {"name": "m" * 300}),
        (
            f"{API}/runs/log-metric",
            {"run_id": run_id, "key": "m", "value": "1e309x", "timestamp": 1},
        ),
        (f"{API}/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 2**70}),
    ]
    for path, body in cases:
        _four_xx(live, "POST", path, body)
    run = live.store.get_run(run_id)
    assert (run.data.param_list, run.data.metric_list) == ((), ())
    assert {t.key for t in run.data.tag_list} <= {"mlflow.runName"}
    assert live.store.find_experiment_by_name("n" * 501) is None


def test_names_that_differ_only_by_encoding_cannot_coexist(live: Live) -> None:
    live.ok("POST", f"{API}/registered-models/create", {"name": "fraud model"})
    for twin in ("fraud%20model", "fraud%2520model", "fraud+model%20"[:-3]):
        if twin == "fraud+model":
            continue
        payload = _four_xx(live, "POST", f"{API}/registered-models/create", {"name": twin})
        assert payload["error_code"] == "RESOURCE_ALREADY_EXISTS"
    found = live.ok("GET", f"{API}/registered-models/search", params={"max_results": 100})
    assert [m["name"] for m in found["registered_models"]] == ["fraud model"]


@pytest.mark.parametrize("value", [10**12, 2**63, -1, 0, "abc", "1e3", 2**64 + 1])
def test_huge_or_malformed_max_results_are_refused(live: Live, value: object) -> None:
    _four_xx(live, "POST", f"{API}/runs/search", {"experiment_ids": ["0"], "max_results": value})
    _four_xx(live, "POST", f"{API}/experiments/search", {"max_results": value})
    if value != 0:  # 0 is "unset" for logged models and the registry: the default page
        _four_xx(
            live,
            "POST",
            f"{API}/logged-models/search",
            {"experiment_ids": ["0"], "max_results": value},
        )
        for path in ("/registered-models/search", "/model-versions/search"):
            _four_xx(live, "GET", API + path, params={"max_results": str(value)})


def _token(payload: object) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        _token({"offset": 10**30}),
        _token({"offset": 2**63}),
        _token({"offset": -5}),
        _token({"offset": "1; DROP TABLE runs"}),
        _token([1, 2]),
        "not base64 at all!",
        base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_forged_and_deep_page_tokens_are_refused(live: Live, token: str) -> None:
    _four_xx(
        live,
        "POST",
        f"{API}/runs/search",
        {"experiment_ids": ["0"], "max_results": 10, "page_token": token},
    )
    _four_xx(live, "POST", f"{API}/experiments/search", {"max_results": 10, "page_token": token})
    for path in ("/registered-models/search", "/model-versions/search"):
        _four_xx(live, "GET", API + path, params={"max_results": "10", "page_token": token})
    assert live.store.search_experiments(max_results=10).items  # the store still answers
