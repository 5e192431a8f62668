"""Per-experiment and per-model permissions on a live ``--auth`` server: creators get MANAGE,
others the default, grants change that, admins bypass, searches show only what is readable,
and every kind of route (RPC, artifact proxy, logged models, registry) is checked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runwell.entities.auth import Permission
from tests.server.auth.conftest import Secured

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
UI = "/ajax-api/2.0/runwell/ui"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _denied(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error_code"] == "PERMISSION_DENIED"


def _experiment(client: httpx.Client, name: str) -> str:
    created = _ok(client.post(f"{API}/experiments/create", json={"name": name}))
    return str(created["experiment_id"])


def _run(client: httpx.Client, experiment_id: str) -> str:
    created = _ok(client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}))
    return str(created["run"]["info"]["run_id"])


def _grant(manager: httpx.Client, experiment_id: str, username: str, permission: str) -> None:
    _ok(
        manager.post(
            f"{API}/experiments/permissions/create",
            json={"experiment_id": experiment_id, "username": username, "permission": permission},
        )
    )


@pytest.fixture
def private(start_secured: Any) -> Secured:
    """A server whose new resources are private to their creators (and admins)."""
    server: Secured = start_secured(default=Permission.NO_PERMISSIONS)
    return server


def test_creator_manages_others_read_by_default_and_grants_change_that(
    secured: Secured,
) -> None:
    alice, bob = secured.user("alice"), secured.user("bob")
    exp = _experiment(alice, "alice-exp")
    run_id = _run(alice, exp)
    log = {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 0}
    _ok(alice.post(f"{API}/runs/log-metric", json=log))
    assert _ok(bob.get(f"{API}/runs/get", params={"run_id": run_id}))["run"]["info"]["run_id"]
    _denied(bob.post(f"{API}/runs/log-metric", json=log))
    _denied(bob.post(f"{API}/runs/create", json={"experiment_id": exp}))
    _denied(
        bob.post(
            f"{API}/experiments/permissions/create",
            json={"experiment_id": exp, "username": "bob", "permission": "MANAGE"},
        )
    )
    _grant(alice, exp, "bob", "EDIT")
    _ok(bob.post(f"{API}/runs/log-metric", json=log))
    _denied(bob.post(f"{API}/runs/delete", json={"run_id": run_id}))
    _denied(bob.post(f"{API}/experiments/delete", json={"experiment_id": exp}))
    _ok(secured.admin.post(f"{API}/runs/delete", json={"run_id": run_id}))
    mine = _ok(bob.get("/api/2.0/runwell/users/current"))["user"]
    assert mine["experiment_permissions"] == [
        {"experiment_id": exp, "user_id": mine["id"], "username": "bob", "permission": "EDIT"}
    ]


def test_private_experiments_are_invisible_and_refused_everywhere(private: Secured) -> None:
    alice, bob = private.user("alice"), private.user("bob")
    exp = _experiment(alice, "secret-exp")
    run_id = _run(alice, exp)
    _ok(alice.put(f"{PROXY}/{exp}/{run_id}/artifacts/a.txt", content=b"alice's data"))
    own = _experiment(bob, "bob-exp")
    found = _ok(bob.post(f"{API}/experiments/search", json={"max_results": 100}))
    assert [e["experiment_id"] for e in found["experiments"]] == [own]
    everything = _ok(private.admin.post(f"{API}/experiments/search", json={"max_results": 100}))
    assert {exp, own} <= {e["experiment_id"] for e in everything["experiments"]}
    for response in (
        bob.get(f"{API}/experiments/get", params={"experiment_id": exp}),
        bob.get(f"{API}/experiments/get", params={"experiment_id": f"00{exp}"}),
        bob.get(f"{API}/experiments/get-by-name", params={"experiment_name": "secret-exp"}),
        bob.get(f"{API}/runs/get", params={"run_id": run_id}),
        bob.get(f"{API}/runs/get", params={"run_uuid": run_id}),
        bob.post(f"{API}/runs/search", json={"experiment_ids": [own, exp]}),
        bob.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}),
        bob.get(
            f"{API}/metrics/get-history-bulk-interval",
            params={"run_ids": [run_id], "metric_key": "m"},
        ),
        bob.get(f"{API}/artifacts/list", params={"run_id": run_id}),
        bob.get("/get-artifact", params={"run_id": run_id, "path": "a.txt"}),
        bob.get(f"{PROXY}/{exp}/{run_id}/artifacts/a.txt"),
        bob.get(f"{PROXY}/%30{exp}/{run_id}/artifacts/a.txt"),
        bob.get(PROXY, params={"path": f"{exp}/{run_id}/artifacts"}),
        bob.get(PROXY),
        bob.put(f"{PROXY}/{exp}/{run_id}/artifacts/b.txt", content=b"bob was here"),
        bob.delete(f"{PROXY}/{exp}/{run_id}/artifacts/a.txt"),
        bob.post(f"{API}/logged-models", json={"experiment_id": exp, "name": "m"}),
        bob.post(f"{API}/logged-models/search", json={"experiment_ids": [exp]}),
        bob.get(f"{UI}/metrics/sampled", params={"run_ids": run_id, "key": "m"}),
        bob.get(f"{UI}/metrics/sampled-batch", params={"run_ids": run_id, "keys": "m"}),
        bob.get(f"{UI}/metrics/csv", params={"run_id": run_id, "key": "m"}),
        bob.get(f"{UI}/runs/table", params={"experiment_ids": exp}),
    ):
        _denied(response)
    charts = alice.get(f"{UI}/metrics/sampled-batch", params={"run_ids": run_id, "keys": "m"})
    assert charts.status_code == 200 and charts.json()["series"][0]["run_id"] == run_id
    assert (private.live.artifacts / exp / run_id / "artifacts" / "a.txt").read_bytes() == (
        b"alice's data"
    )
    assert not (private.live.artifacts / exp / run_id / "artifacts" / "b.txt").exists()


def test_logged_models_follow_their_experiment(private: Secured) -> None:
    alice, bob = private.user("alice"), private.user("bob")
    exp = _experiment(alice, "models-exp")
    model = _ok(alice.post(f"{API}/logged-models", json={"experiment_id": exp, "name": "m"}))
    model_id = model["model"]["info"]["model_id"]
    _ok(alice.get(f"{API}/logged-models/{model_id}"))
    _denied(bob.get(f"{API}/logged-models/{model_id}"))
    _denied(
        bob.patch(
            f"{API}/logged-models/{model_id}/tags", json={"tags": [{"key": "k", "value": "v"}]}
        )
    )
    _denied(bob.request("DELETE", f"{API}/logged-models/{model_id}"))
    _denied(bob.get(f"{API}/logged-models/{model_id}/artifacts/directories"))
    _grant(alice, exp, "bob", "READ")
    _ok(bob.get(f"{API}/logged-models/{model_id}"))
    _denied(bob.request("DELETE", f"{API}/logged-models/{model_id}"))


def test_registered_models_have_their_own_permissions(private: Secured) -> None:
    alice, bob = private.user("alice"), private.user("bob")
    _ok(alice.post(f"{API}/registered-models/create", json={"name": "fraud"}))
    _ok(bob.post(f"{API}/registered-models/create", json={"name": "bob model"}))
    listed = _ok(bob.get(f"{API}/registered-models/search", params={"max_results": 100}))
    assert [m["name"] for m in listed["registered_models"]] == ["bob model"]
    _denied(bob.get(f"{API}/registered-models/get", params={"name": "fraud"}))
    _denied(
        bob.post(
            f"{API}/registered-models/set-tag", json={"name": "fraud", "key": "k", "value": "v"}
        )
    )
    _denied(bob.post(f"{API}/model-versions/create", json={"name": "fraud", "source": "s3://b/m"}))
    # Names the registry treats as the same name share permissions.
    _denied(bob.get(f"{API}/registered-models/get", params={"name": "fr%61ud"}))
    exp = _experiment(alice, "reg-exp")
    run_id = _run(alice, exp)
    # bob may not register alice's run in his own model.
    _denied(
        bob.post(
            f"{API}/model-versions/create",
            json={"name": "bob model", "source": f"runs:/{run_id}/model", "run_id": run_id},
        )
    )
    _denied(
        bob.post(
            f"{API}/model-versions/create",
            json={"name": "bob model", "source": f"runs%3A%2F{run_id}/model"},
        )
    )
    # Renaming moves the grants; deleting forgets them.
    renamed = alice.post(
        f"{API}/registered-models/rename", json={"name": "fraud", "new_name": "fraud2"}
    )
    _ok(renamed)
    _ok(alice.get(f"{API}/registered-models/get", params={"name": "fraud2"}))
    _ok(alice.request("DELETE", f"{API}/registered-models/delete", json={"name": "fraud2"}))
    _ok(bob.post(f"{API}/registered-models/create", json={"name": "fraud2"}))
    _denied(alice.get(f"{API}/registered-models/get", params={"name": "fraud2"}))
    versions = _ok(alice.get(f"{API}/model-versions/search", params={"max_results": 100}))
    assert versions == {}


def test_only_admins_choose_artifact_locations_and_list_the_store_root(
    secured: Secured,
) -> None:
    bob = secured.user("bob")
    body = {"name": "elsewhere", "artifact_location": "s3://someone-elses-bucket/x"}
    _denied(bob.post(f"{API}/experiments/create", json=body))
    _ok(secured.admin.post(f"{API}/experiments/create", json=body))
    _denied(bob.get(PROXY))
    _ok(secured.admin.get(PROXY))


def test_admin_only_routes_refuse_users(secured: Secured) -> None:
    bob = secured.user("bob")
    _denied(bob.post(f"{API}/users/create", json={"username": "x", "password": "y" * 12}))
    _denied(bob.get("/api/2.0/runwell/users/list"))
    _denied(bob.get(f"{API}/users/get", params={"username": "admin"}))
    _ok(bob.get(f"{API}/users/get", params={"username": "bob"}))
    listed = _ok(secured.admin.get("/api/2.0/runwell/users/list"))["users"]
    assert [u["username"] for u in listed] == ["admin", "bob"]


def test_set_default_makes_an_experiment_private_or_public(secured: Secured) -> None:
    alice, bob = secured.user("alice"), secured.user("bob")
    exp = _experiment(alice, "shared")
    _ok(bob.get(f"{API}/experiments/get", params={"experiment_id": exp}))
    _ok(
        alice.post(
            "/api/2.0/runwell/experiments/permissions/set-default",
            json={"experiment_id": exp, "permission": "NO_PERMISSIONS"},
        )
    )
    _denied(bob.get(f"{API}/experiments/get", params={"experiment_id": exp}))
    listed = _ok(
        alice.get("/api/2.0/runwell/experiments/permissions/list", params={"experiment_id": exp})
    )
    assert listed["default_permission"] == "NO_PERMISSIONS"
    assert [p["username"] for p in listed["permissions"]] == ["alice"]
