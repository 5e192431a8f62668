"""Issue 19, item 1: a model-version source naming another host must not take a reader's
credentials there. bob, with EDIT on alice's registered model, registered
``mlflow-artifacts://<his host>/...``; alice's ``load_model("models:/team-model/1")`` then sent
``Authorization: Basic alice:...`` to his listener.

Three defences, each tested here against a real ``--auth`` server and a real listener:
the registry refuses such sources; a version planted anyway (an older server, another tool) is
refused by the client rather than fetched; and the tracking credentials never travel to an
origin other than the tracking server's.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import runwell
from runwell.errors import RunwellError
from runwell.store import uri as uris
from runwell.store.sql.registry import SqlRegistryStore
from tests.server.auth.conftest import PASSWORD, Secured

API = "/api/2.0/mlflow"


@dataclass
class Listener:
    """bob's HTTP listener on loopback: records every request's Authorization header."""

    port: int
    seen: list[str | None] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    recorded = Listener(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorded.seen.append(self.headers.get("Authorization"))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorded.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()


def _hostile_sources(port: int, experiment_id: str, run_id: str) -> list[str]:
    path = f"{experiment_id}/{run_id}/artifacts/model"
    return [
        f"mlflow-artifacts://127.0.0.1:{port}/{path}",
        f"http://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts/{path}",
        f"https://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts/{path}",
        f"http://127.0.0.1:{port}/model",
    ]


def test_bob_cannot_point_a_version_at_his_host(secured: Secured, listener: Listener) -> None:
    alice, bob = secured.user("alice"), secured.user("bob")
    assert alice.post(f"{API}/registered-models/create", json={"name": "team-model"}).is_success
    grant = {"name": "team-model", "username": "bob", "permission": "EDIT"}
    assert alice.post(f"{API}/registered-models/permissions/create", json=grant).is_success
    experiment = bob.post(f"{API}/experiments/create", json={"name": "bob"}).json()
    run = bob.post(f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"]})
    run_id = run.json()["run"]["info"]["run_id"]
    for source in _hostile_sources(listener.port, experiment["experiment_id"], run_id):
        answer = bob.post(
            f"{API}/model-versions/create",
            json={"name": "team-model", "source": source, "run_id": run_id},
        )
        assert answer.status_code == 400, (source, answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    versions = alice.post(f"{API}/model-versions/search", json={"filter": "name='team-model'"})
    assert versions.json().get("model_versions", []) == []
    assert listener.seen == []


def test_a_planted_version_is_refused_and_no_credential_leaves(
    secured: Secured, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = secured.user("alice")
    assert alice.post(f"{API}/registered-models/create", json={"name": "team-model"}).is_success
    experiment_id = alice.post(f"{API}/experiments/create", json={"name": "a"}).json()[
        "experiment_id"
    ]
    run = alice.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
    run_id = run.json()["run"]["info"]["run_id"]
    hostile = f"mlflow-artifacts://127.0.0.1:{listener.port}/{experiment_id}/{run_id}/artifacts/m"
    # As an older server (or a tool writing the database) would have stored it.
    monkeypatch.setenv(
        "RUNWELL_ALLOWED_MODEL_SOURCES", f"mlflow-artifacts://127.0.0.1:{listener.port}/"
    )
    db_url = secured.live.store.db_url
    SqlRegistryStore(db_url).create_model_version("team-model", hostile, run_id=run_id)
    monkeypatch.delenv("RUNWELL_ALLOWED_MODEL_SOURCES")

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    monkeypatch.setenv("RUNWELL_TRACKING_URI", secured.url)
    with pytest.raises(RunwellError, match="not on the tracking server") as refused:
        runwell.pyfunc.load_model("models:/team-model/1")
    assert refused.value.code.name == "PERMISSION_DENIED"
    assert listener.seen == []  # not even a connection
    # The transport rule itself: a repository on another origin gets no credentials,
    # while the tracking server's own origin does.
    foreign = uris.artifact_repo(
        f"http://127.0.0.1:{listener.port}/api/2.0/mlflow-artifacts/artifacts/x",
        secured.url,
    )
    with pytest.raises(RunwellError):
        foreign.read_bytes("model/MLmodel")
    assert listener.seen and set(listener.seen) == {None}
    own = uris.artifact_repo("mlflow-artifacts:/x", secured.url)
    assert own.transport._client.headers.get("Authorization", "").startswith("Basic ")  # type: ignore[attr-defined]
