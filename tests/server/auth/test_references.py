"""References to someone else's private run or logged model (issue 19, 9).

bob may not link his run or logged model to alice's private ones: a parent-run tag, a logged
model's source run, run inputs and outputs naming her logged model are refused (403) and
nothing is stored. A link that exists anyway (an admin wrote it, or bob lost his access
later) shows bob the id, never the name. With READ on her experiment the names appear.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runwell.entities.auth import Permission
from tests.server.auth.conftest import Secured

API = "/api/2.0/mlflow"
PARENT = "mlflow.parentRunId"
SECRET_RUN = "alice-secret-run"
SECRET_MODEL = "alice-secret-model"
HTML = {"Accept": "text/html"}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _page(client: httpx.Client, path: str, **params: str) -> str:
    response = client.get(path, params=params, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    return response.text


@pytest.fixture
def private(start_secured: Any) -> Secured:
    server: Secured = start_secured(default=Permission.NO_PERMISSIONS)
    return server


def _experiment(client: httpx.Client, name: str) -> str:
    return str(_ok(client.post(f"{API}/experiments/create", json={"name": name}))["experiment_id"])


def _run(client: httpx.Client, experiment_id: str, name: str) -> str:
    body = {"experiment_id": experiment_id, "run_name": name}
    return str(_ok(client.post(f"{API}/runs/create", json=body))["run"]["info"]["run_id"])


def _logged_model(client: httpx.Client, experiment_id: str, name: str, run_id: str) -> str:
    body = {"experiment_id": experiment_id, "name": name, "source_run_id": run_id}
    model = _ok(client.post(f"{API}/logged-models", json=body))["model"]["info"]
    ready = {"status": "LOGGED_MODEL_READY"}
    _ok(client.patch(f"{API}/logged-models/{model['model_id']}", json=ready))
    return str(model["model_id"])


def test_links_to_a_private_run_or_model_are_refused_and_nothing_is_stored(
    private: Secured,
) -> None:
    alice, bob = private.user("alice"), private.user("bob")
    lab = _experiment(alice, "alice-lab")
    secret_run = _run(alice, lab, SECRET_RUN)
    secret_model = _logged_model(alice, lab, SECRET_MODEL, secret_run)
    own = _experiment(bob, "bob-lab")
    bob_run = _run(bob, own, "bob-run")

    hostile: list[tuple[str, dict[str, Any]]] = [
        ("runs/create", {"experiment_id": own, "tags": [{"key": PARENT, "value": secret_run}]}),
        ("runs/set-tag", {"run_id": bob_run, "key": PARENT, "value": secret_run}),
        ("runs/log-batch", {"run_id": bob_run, "tags": [{"key": PARENT, "value": secret_run}]}),
        ("logged-models", {"experiment_id": own, "name": "m", "source_run_id": secret_run}),
        ("runs/log-inputs", {"run_id": bob_run, "models": [{"model_id": secret_model}]}),
        ("runs/outputs", {"run_id": bob_run, "models": [{"model_id": secret_model, "step": 0}]}),
    ]
    for path, body in hostile:
        refused = bob.post(f"{API}/{path}", json=body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["error_code"] == "PERMISSION_DENIED"

    store = private.live.store
    runs = store.search_runs([own], max_results=100).items
    assert [r.info.run_id for r in runs] == [bob_run]
    stored = store.get_run(bob_run)
    assert PARENT not in stored.data.tag_dict
    assert not stored.inputs.model_inputs and not stored.outputs.model_outputs
    assert not store.search_logged_models([own], max_results=100).items

    # Links to what bob may read go through.
    other = _run(bob, own, "bob-parent")
    _ok(bob.post(f"{API}/runs/set-tag", json={"run_id": bob_run, "key": PARENT, "value": other}))
    mine = _logged_model(bob, own, "bob-model", other)
    _ok(
        bob.post(f"{API}/runs/log-inputs", json={"run_id": bob_run, "models": [{"model_id": mine}]})
    )
    _ok(
        alice.post(
            f"{API}/experiments/permissions/create",
            json={"experiment_id": lab, "username": "bob", "permission": "READ"},
        )
    )
    for path, body in hostile:
        if path in ("runs/create", "logged-models"):
            continue  # the refused creations are not needed again
        _ok(bob.post(f"{API}/{path}", json=body))
    assert store.get_run(bob_run).data.tag_dict[PARENT] == secret_run


def test_pages_show_a_private_references_id_but_not_its_name(private: Secured) -> None:
    alice, bob = private.user("alice"), private.user("bob")
    admin = private.admin
    lab = _experiment(alice, "alice-lab")
    secret_run = _run(alice, lab, SECRET_RUN)
    secret_model = _logged_model(alice, lab, SECRET_MODEL, secret_run)
    own = _experiment(bob, "bob-lab")
    bob_run = _run(bob, own, "bob-run")
    # Links that exist anyway: an admin wrote them (or bob could read her work once).
    link = {"run_id": bob_run, "key": PARENT, "value": secret_run}
    _ok(admin.post(f"{API}/runs/set-tag", json=link))
    outputs = {"run_id": bob_run, "models": [{"model_id": secret_model, "step": 0}]}
    _ok(admin.post(f"{API}/runs/outputs", json=outputs))
    bob_model = _logged_model(admin, own, "bob-model", secret_run)
    _ok(bob.post(f"{API}/registered-models/create", json={"name": "bob-registered"}))
    version = {
        "name": "bob-registered",
        "source": f"models:/{bob_model}",
        "model_id": bob_model,
        "run_id": secret_run,
    }
    number = _ok(admin.post(f"{API}/model-versions/create", json=version))["model_version"][
        "version"
    ]

    pages = [
        (f"/runs/{bob_run}", {}),
        (f"/logged-models/{bob_model}", {}),
        ("/model-version", {"name": "bob-registered", "version": str(number)}),
    ]
    for path, params in pages:
        text = _page(bob, path, **params)
        assert SECRET_RUN not in text, path
        assert SECRET_MODEL not in text, path
        assert "alice-lab" not in text, path
    assert secret_run in _page(bob, f"/runs/{bob_run}")  # the parent, by id
    assert secret_run in _page(bob, f"/logged-models/{bob_model}")
    assert secret_run in _page(bob, "/model-version", name="bob-registered", version=str(number))

    _ok(
        alice.post(
            f"{API}/experiments/permissions/create",
            json={"experiment_id": lab, "username": "bob", "permission": "READ"},
        )
    )
    run_page = _page(bob, f"/runs/{bob_run}")
    assert SECRET_RUN in run_page and SECRET_MODEL in run_page
    assert SECRET_RUN in _page(bob, f"/logged-models/{bob_model}")
    assert SECRET_RUN in _page(bob, "/model-version", name="bob-registered", version=str(number))


MALFORMED: list[tuple[str, Any]] = [
    ("runs/create", {"tags": "not-a-list"}),
    ("runs/create", {"tags": [{"value": "no key"}]}),
    ("runs/create", {"tags": [{"key": PARENT, "value": {"a": 1}}]}),
    ("runs/create", {"tags": ["a string"]}),
    ("runs/set-tag", {"key": {"k": 1}, "value": "v"}),
    ("runs/set-tag", {"key": PARENT, "value": ["x"]}),
    ("runs/log-batch", {"tags": {"key": PARENT}}),
    ("runs/log-inputs", {"models": "m-1"}),
    ("runs/log-inputs", {"models": [{"model_id": 7}]}),
    ("runs/log-inputs", {"models": [{}]}),
    ("runs/outputs", {"models": [{"model_id": None, "step": 0}]}),
    ("runs/outputs", {"models": [["m-1"]]}),
    ("logged-models", {"name": "m", "source_run_id": {"x": 1}}),
    ("logged-models", {"name": "m", "source_run_id": ["a", "b"]}),
]


def test_malformed_references_are_client_errors_never_server_errors(private: Secured) -> None:
    bob = private.user("bob")
    own = _experiment(bob, "bob-lab")
    bob_run = _run(bob, own, "bob-run")
    for path, body in MALFORMED:
        ids = {"experiment_id": own} if path in ("runs/create", "logged-models") else {}
        if path.startswith("runs/") and path != "runs/create":
            ids = {"run_id": bob_run}
        answer = bob.post(f"{API}/{path}", json={**ids, **body})
        assert 400 <= answer.status_code < 500, (path, body, answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", (path, answer.text)
    stored = private.live.store.get_run(bob_run)
    assert PARENT not in stored.data.tag_dict
    assert not stored.inputs.model_inputs and not stored.outputs.model_outputs
