"""A run's author under ``--auth`` is the signed-in user, unless an admin says otherwise
(issue 19, 11)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.auth.conftest import Secured

API = "/api/2.0/mlflow"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _author(secured: Secured, run_id: str) -> tuple[str, str | None]:
    run = secured.live.store.get_run(run_id)
    return run.info.user_id, run.data.tag_dict.get("mlflow.user")


def test_runs_create_stores_the_signed_in_user_whatever_the_body_claims(
    secured: Secured,
) -> None:
    bob = secured.user("bob")
    exp = _ok(bob.post(f"{API}/experiments/create", json={"name": "bobs"}))["experiment_id"]
    claims: list[dict[str, Any]] = [
        {"user_id": "admin", "tags": [{"key": "mlflow.user", "value": "admin"}]},
        {"userId": "admin"},
        {"user_id": "", "tags": [{"key": "mlflow.user", "value": "admin"}, {"key": "k"}]},
        {},
    ]
    for claim in claims:
        created = _ok(bob.post(f"{API}/runs/create", json={"experiment_id": exp, **claim}))
        run_id = created["run"]["info"]["run_id"]
        assert created["run"]["info"]["user_id"] == "bob", claim
        user_id, tag = _author(secured, run_id)
        assert user_id == "bob"
        assert tag in ("bob", None)
        if "tags" in claim:
            assert tag == "bob"
    # The rest of the body is what was sent: the other tag arrived, with its empty value.
    assert secured.live.store.get_run(run_id).data.tag_dict.get("k") is None
    last = _ok(bob.post(f"{API}/runs/create", json={"experiment_id": exp, **claims[2]}))
    assert secured.live.store.get_run(last["run"]["info"]["run_id"]).data.tag_dict["k"] == ""


def test_an_admin_may_set_the_author_and_others_may_not_change_it_later(
    secured: Secured,
) -> None:
    bob = secured.user("bob")
    exp = _ok(bob.post(f"{API}/experiments/create", json={"name": "shared"}))["experiment_id"]
    body = {
        "experiment_id": exp,
        "user_id": "importer",
        "tags": [{"key": "mlflow.user", "value": "importer"}],
    }
    imported = _ok(secured.admin.post(f"{API}/runs/create", json=body))["run"]["info"]["run_id"]
    assert _author(secured, imported) == ("importer", "importer")

    own = _ok(bob.post(f"{API}/runs/create", json={"experiment_id": exp}))["run"]["info"]
    for path, payload in (
        ("runs/set-tag", {"run_id": own["run_id"], "key": "mlflow.user", "value": "admin"}),
        (
            "runs/log-batch",
            {"run_id": own["run_id"], "tags": [{"key": "mlflow.user", "value": "admin"}]},
        ),
        ("runs/set-tag", {"run_id": imported, "key": "mlflow.user", "value": "bob"}),
    ):
        refused = bob.post(f"{API}/{path}", json=payload)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error_code"] == "PERMISSION_DENIED"
        assert "mlflow.user" in refused.json()["message"]
    assert _author(secured, own["run_id"]) == ("bob", None)
    assert _author(secured, imported) == ("importer", "importer")
    # Other tags still go through, and the admin may correct an author.
    _ok(bob.post(f"{API}/runs/set-tag", json={"run_id": own["run_id"], "key": "a", "value": "1"}))
    fix = {"run_id": own["run_id"], "key": "mlflow.user", "value": "carol"}
    _ok(secured.admin.post(f"{API}/runs/set-tag", json=fix))
    assert _author(secured, own["run_id"]) == ("bob", "carol")
