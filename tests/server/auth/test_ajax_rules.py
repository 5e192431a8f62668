"""--auth rules of the routes MLflow's UI calls under /ajax-api/2.0 only (get-history-bulk,
search-datasets, upload-artifact): READ to read, EDIT on the run to upload."""

from __future__ import annotations

from tests.server.auth.conftest import Secured

AJAX = "/ajax-api/2.0"


def test_ajax_routes_follow_the_auth_rules(secured: Secured) -> None:
    alice, bob = secured.user("alice"), secured.user("bob")
    created = alice.post(f"{AJAX}/mlflow/experiments/create", json={"name": "private"})
    exp_id = created.json()["experiment_id"]
    run = alice.post(f"{AJAX}/mlflow/runs/create", json={"experiment_id": exp_id})
    run_id = run.json()["run"]["info"]["run_id"]
    # bob reads by the server's default (READ); carol is refused the experiment.
    url = f"{AJAX}/mlflow/upload-artifact"
    params = {"run_uuid": run_id, "path": "f.txt"}
    assert bob.post(url, params=params, content=b"x").status_code == 403
    # A second run_uuid must not slip past the check: both sides read the same (last) one.
    assert bob.post(url, params=[("run_uuid", "x"), ("run_uuid", run_id), ("path", "f.txt")],
                    content=b"x").status_code == 403  # fmt: skip
    assert alice.post(url, params=params, content=b"x").status_code == 200
    history = {"run_id": run_id, "metric_key": "m"}
    assert bob.get(f"{AJAX}/mlflow/metrics/get-history-bulk", params=history).status_code == 200
    assert secured.client().get(
        f"{AJAX}/mlflow/metrics/get-history-bulk", params=history
    ).status_code == 401  # fmt: skip
    carol = secured.user("carol")
    granted = secured.admin.post(
        f"{AJAX}/mlflow/experiments/permissions/create",
        json={"experiment_id": exp_id, "username": "carol", "permission": "NO_PERMISSIONS"},
    )
    assert granted.status_code == 200, granted.text
    search = {"experiment_ids": [exp_id]}
    assert carol.post(f"{AJAX}/mlflow/experiments/search-datasets", json=search).status_code == 403
    assert carol.get(f"{AJAX}/mlflow/metrics/get-history-bulk", params=history).status_code == 403
    assert bob.post(f"{AJAX}/mlflow/experiments/search-datasets", json=search).status_code == 200
