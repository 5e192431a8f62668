"""The main tracking flow over HTTP on every SQL backend (SQLite, PostgreSQL, MySQL)."""

from __future__ import annotations

from tests.server.conftest import StartLive

T0 = 1_700_000_000_000


def test_tracking_flow_over_http(start_live: StartLive, db_url: str) -> None:
    live = start_live(db_url=db_url)
    experiment_id = live.ok("POST", "/mlflow/experiments/create", {"name": "backends"})[
        "experiment_id"
    ]
    live.fails(
        "POST", "/mlflow/experiments/create", {"name": "backends"}, 400, "RESOURCE_ALREADY_EXISTS"
    )
    run_ids = []
    for index, loss in enumerate([0.3, 0.1, 0.2]):
        run = live.ok(
            "POST",
            "/mlflow/runs/create",
            {"experiment_id": experiment_id, "start_time": T0 + index, "run_name": f"r{index}"},
        )["run"]
        run_id = run["info"]["run_id"]
        assert (
            run["info"]["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
        )
        metrics = [
            {"key": "loss", "value": loss * (10 - s), "timestamp": T0 + s, "step": s}
            for s in range(10)
        ]
        metrics.append({"key": "odd", "value": "NaN", "timestamp": T0, "step": 0})
        live.ok(
            "POST",
            "/mlflow/runs/log-batch",
            {
                "run_id": run_id,
                "metrics": metrics,
                "params": [{"key": "i", "value": str(index)}],
                "tags": [{"key": "group", "value": "g"}],
            },
        )
        run_ids.append(run_id)
    found = live.ok(
        "POST",
        "/mlflow/runs/search",
        {
            "experiment_ids": [experiment_id],
            "filter": "params.i != '0' and tags.group = 'g'",
            "order_by": ["metrics.loss ASC"],
        },
    )
    assert [r["info"]["run_id"] for r in found["runs"]] == [run_ids[1], run_ids[2]]
    latest = {m["key"]: m["value"] for m in found["runs"][0]["data"]["metrics"]}
    assert latest == {"loss": 0.1, "odd": "NaN"}
    history = live.ok(
        "GET", "/mlflow/metrics/get-history", params={"run_id": run_ids[0], "metric_key": "loss"}
    )
    assert [m["step"] for m in history["metrics"]] == list(range(10))
    live.ok("POST", "/mlflow/runs/delete", {"run_id": run_ids[0]})
    deleted = live.ok(
        "POST",
        "/mlflow/runs/search",
        {"experiment_ids": [experiment_id], "run_view_type": "DELETED_ONLY"},
    )
    assert [r["info"]["run_id"] for r in deleted["runs"]] == [run_ids[0]]
    live.ok("POST", "/mlflow/experiments/delete", {"experiment_id": experiment_id})
    live.fails(
        "POST",
        "/mlflow/runs/create",
        {"experiment_id": experiment_id},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    live.ok("POST", "/mlflow/experiments/restore", {"experiment_id": experiment_id})
    assert live.store.get_run(run_ids[1]).info.lifecycle_stage.value == "active"
