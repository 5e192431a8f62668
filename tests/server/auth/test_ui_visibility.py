"""Web UI pages show only the registered models and versions the viewer may read (issue 19, 4).

alice owns an experiment and a registered model made from one of its runs; the server makes
new resources private (``NO_PERMISSIONS``), and carol gets READ on the experiment only. The
API refuses her the model; the run page, the experiment's page, the logged model's page and
the models list must not name it either. alice sees it everywhere.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runwell.entities.auth import Permission
from tests.server.auth.conftest import Secured

API = "/api/2.0/mlflow"
MODEL = "alice-private-fraud-model"
HTML = {"Accept": "text/html"}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def private(start_secured: Any) -> Secured:
    server: Secured = start_secured(default=Permission.NO_PERMISSIONS)
    return server


def _page(client: httpx.Client, path: str, **params: str) -> str:
    response = client.get(path, params=params, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_pages_name_a_registered_model_only_to_those_who_may_read_it(private: Secured) -> None:
    alice, carol = private.user("alice"), private.user("carol")
    exp = _ok(alice.post(f"{API}/experiments/create", json={"name": "fraud"}))["experiment_id"]
    run_id = _ok(alice.post(f"{API}/runs/create", json={"experiment_id": exp}))["run"]["info"][
        "run_id"
    ]
    logged = _ok(
        alice.post(
            f"{API}/logged-models",
            json={"experiment_id": exp, "name": "clf", "source_run_id": run_id},
        )
    )["model"]["info"]
    model_id = logged["model_id"]
    ready = {"status": "LOGGED_MODEL_READY"}
    _ok(alice.patch(f"{API}/logged-models/{model_id}", json=ready))
    _ok(alice.post(f"{API}/registered-models/create", json={"name": MODEL}))
    version = _ok(
        alice.post(
            f"{API}/model-versions/create",
            json={"name": MODEL, "source": f"models:/{model_id}", "run_id": run_id,
                  "model_id": model_id},
        )
    )["model_version"]  # fmt: skip
    _ok(
        alice.post(
            f"{API}/model-versions/transition-stage",
            json={
                "name": MODEL,
                "version": version["version"],
                "stage": "Staging",
                "archive_existing_versions": False,
            },
        )
    )
    _ok(
        alice.post(
            f"{API}/experiments/permissions/create",
            json={"experiment_id": exp, "username": "carol", "permission": "READ"},
        )
    )
    # The API: carol reads the run, not the model.
    assert _ok(carol.get(f"{API}/runs/get", params={"run_id": run_id}))
    refused = carol.get(f"{API}/registered-models/get", params={"name": MODEL})
    assert refused.status_code == 403, refused.text

    pages: list[tuple[str, dict[str, str]]] = [
        (f"/runs/{run_id}", {}),
        (f"/experiments/{exp}/runs/{run_id}", {}),
        (f"/experiments/{exp}", {}),
        (f"/logged-models/{model_id}", {}),
        ("/models", {}),
        ("/experiments", {}),
    ]
    for path, params in pages:
        assert MODEL not in _page(carol, path, **params), path
    own = _page(alice, f"/runs/{run_id}")
    assert MODEL in own and "Staging" in own
    assert f"{MODEL} v{version['version']}" in own
    assert MODEL in _page(alice, "/models")
    # carol's run page still renders the run itself.
    assert run_id in _page(carol, f"/runs/{run_id}")
