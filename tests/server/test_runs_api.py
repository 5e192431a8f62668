"""Run endpoints over HTTP: lifecycle, logging, batch limits, search and metric history."""

from __future__ import annotations

import math
from typing import Any

from runwell.entities import LifecycleStage, RunStatus
from runwell.store.sql.tracking import SqlTrackingStore
from tests.server.conftest import Live

T0 = 1_700_000_000_000


def _run(live: Live, experiment_id: str = "0", **extra: Any) -> dict[str, Any]:
    body = {"experiment_id": experiment_id, "start_time": T0, **extra}
    run: dict[str, Any] = live.ok("POST", "/mlflow/runs/create", body)["run"]
    return run


def test_create_returns_the_full_run_with_proxied_artifact_uri(live: Live) -> None:
    run = _run(
        live,
        user_id="ann",
        run_name="r1",
        tags=[{"key": "mlflow.source.type", "value": "LOCAL"}],
    )
    info = run["info"]
    run_id = info["run_id"]
    assert len(run_id) == 32 and info["run_uuid"] == run_id
    assert info["status"] == "RUNNING"
    assert info["start_time"] == T0
    assert info["artifact_uri"] == f"mlflow-artifacts:/0/{run_id}/artifacts"
    assert "end_time" not in info
    assert run["inputs"] == {}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags == {"mlflow.source.type": "LOCAL", "mlflow.runName": "r1"}
    assert live.store.get_run(run_id).info.user_id == "ann"


def test_create_refuses_unknown_deleted_and_conflicting_names(live: Live) -> None:
    live.fails(
        "POST",
        "/mlflow/runs/create",
        {"experiment_id": "42"},
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    live.ok("POST", "/mlflow/experiments/create", {"name": "x"})
    live.ok("POST", "/mlflow/experiments/delete", {"experiment_id": "1"})
    message = live.fails(
        "POST", "/mlflow/runs/create", {"experiment_id": "1"}, 400, "INVALID_PARAMETER_VALUE"
    )
    assert "active" in message
    live.fails(
        "POST",
        "/mlflow/runs/create",
        {"experiment_id": "0", "run_name": "a", "tags": [{"key": "mlflow.runName", "value": "b"}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_update_changes_only_given_fields(live: Live) -> None:
    run_id = _run(live, run_name="first")["info"]["run_id"]
    updated = live.ok(
        "POST", "/mlflow/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": T0 + 5}
    )["run_info"]
    assert updated["status"] == "FINISHED"
    assert updated["end_time"] == T0 + 5
    assert updated["run_name"] == "first"
    live.ok("POST", "/mlflow/runs/update", {"run_uuid": run_id, "run_name": "second"})
    stored = live.store.get_run(run_id)
    assert stored.info.run_name == "second"
    assert stored.data.tag_dict["mlflow.runName"] == "second"
    assert stored.info.status is RunStatus.FINISHED
    # An unknown status name is ignored, as on the stock server; an unknown number is not.
    live.ok("POST", "/mlflow/runs/update", {"run_id": run_id, "status": "DONE"})
    assert live.store.get_run(run_id).info.status is RunStatus.FINISHED
    live.fails(
        "POST",
        "/mlflow/runs/update",
        {"run_id": run_id, "status": 42},
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_get_unknown_run_is_404_and_missing_id_is_400(live: Live) -> None:
    message = live.fails(
        "GET", "/mlflow/runs/get", None, 404, "RESOURCE_DOES_NOT_EXIST", params={"run_id": "f" * 32}
    )
    assert "f" * 32 in message
    message = live.fails("GET", "/mlflow/runs/get", None, 400, "INVALID_PARAMETER_VALUE")
    assert "run_id" in message


def test_delete_and_restore_keep_the_run_readable(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    assert live.ok("POST", "/mlflow/runs/delete", {"run_id": run_id}) == {}
    got = live.ok("GET", "/mlflow/runs/get", params={"run_id": run_id})
    assert got["run"]["info"]["lifecycle_stage"] == "deleted"
    live.ok("POST", "/mlflow/runs/restore", {"run_id": run_id})
    assert live.store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_single_logging_calls_land_in_the_store(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    both = {"run_id": run_id, "run_uuid": run_id}
    live.ok("POST", "/mlflow/runs/log-metric", {**both, "key": "m", "value": 0.5, "timestamp": T0})
    live.ok(
        "POST",
        "/mlflow/runs/log-metric",
        {**both, "key": "m", "value": 0.25, "timestamp": T0 + 1, "step": 3},
    )
    live.ok("POST", "/mlflow/runs/log-parameter", {**both, "key": "p", "value": "1"})
    live.ok("POST", "/mlflow/runs/log-parameter", {**both, "key": "p", "value": "1"})
    live.ok("POST", "/mlflow/runs/set-tag", {**both, "key": "t", "value": "v"})
    stored = live.store.get_run(run_id)
    assert stored.data.metric_dict == {"m": 0.25}
    assert stored.data.param_dict == {"p": "1"}
    assert stored.data.tag_dict["t"] == "v"
    message = live.fails(
        "POST",
        "/mlflow/runs/log-parameter",
        {**both, "key": "p", "value": "2"},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "p" in message
    live.ok("POST", "/mlflow/runs/delete-tag", {"run_id": run_id, "key": "t"})
    assert "t" not in live.store.get_run(run_id).data.tag_dict
    live.fails(
        "POST",
        "/mlflow/runs/delete-tag",
        {"run_id": run_id, "key": "t"},
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )


def test_log_metric_requires_timestamp_and_a_numeric_value(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    message = live.fails(
        "POST",
        "/mlflow/runs/log-metric",
        {"run_id": run_id, "key": "m", "value": 1.0},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "timestamp" in message
    message = live.fails(
        "POST",
        "/mlflow/runs/log-metric",
        {"run_id": run_id, "key": "m", "value": "high", "timestamp": T0},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "value" in message
    live.fails(
        "POST",
        "/mlflow/runs/log-metric",
        {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": [1]},
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_log_batch_writes_every_kind(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    body = {
        "run_id": run_id,
        "metrics": [
            {"key": "loss", "value": 1.0, "timestamp": T0, "step": 0},
            {"key": "loss", "value": "NaN", "timestamp": str(T0 + 1), "step": "1"},
        ],
        "params": [{"key": "lr", "value": "0.1"}],
        "tags": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}],
    }
    assert live.ok("POST", "/mlflow/runs/log-batch", body) == {}
    stored = live.store.get_run(run_id)
    assert math.isnan(stored.data.metric_dict["loss"])
    assert stored.data.param_dict == {"lr": "0.1"}
    assert stored.data.tag_dict["a"] == "2"


def test_log_batch_refuses_over_limit_and_malformed_entries(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    metrics = [{"key": "m", "value": 1.0, "timestamp": T0, "step": i} for i in range(1001)]
    message = live.fails(
        "POST",
        "/mlflow/runs/log-batch",
        {"run_id": run_id, "metrics": metrics},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "1000" in message
    message = live.fails(
        "POST",
        "/mlflow/runs/log-batch",
        {"run_id": run_id, "metrics": [{"key": "m", "value": 1.0}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "metrics[0].timestamp" in message
    live.fails(
        "POST",
        "/mlflow/runs/log-batch",
        {"run_id": run_id, "params": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    live.fails(
        "POST",
        "/mlflow/runs/log-batch",
        {"run_id": run_id, "metrics": {"key": "m"}},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert live.store.get_run(run_id).data.metric_dict == {}


def test_log_inputs_records_datasets(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    dataset = {"name": "wine", "digest": "abc", "source_type": "local", "source": "{}"}
    body = {
        "run_id": run_id,
        "datasets": [
            {"dataset": dataset, "tags": [{"key": "mlflow.data.context", "value": "train"}]}
        ],
    }
    live.ok("POST", "/mlflow/runs/log-inputs", body)
    inputs = live.ok("GET", "/mlflow/runs/get", params={"run_id": run_id})["run"]["inputs"]
    assert inputs["dataset_inputs"][0]["dataset"]["name"] == "wine"
    assert inputs["dataset_inputs"][0]["tags"] == [{"key": "mlflow.data.context", "value": "train"}]
    live.fails(
        "POST",
        "/mlflow/runs/log-inputs",
        {"run_id": run_id, "datasets": [{"dataset": {"name": "x"}}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )


def _runs_with_metric(store: SqlTrackingStore, values: list[float]) -> list[str]:
    from runwell.entities import Metric

    ids = []
    for index, value in enumerate(values):
        run = store.create_run("0", "u", T0 + index, run_name=f"r{index}")
        store.log_metric(run.info.run_id, Metric(key="acc", value=value, timestamp=T0, step=0))
        ids.append(run.info.run_id)
    return ids


def test_search_runs_filters_orders_and_pages(live: Live) -> None:
    ids = _runs_with_metric(live.store, [0.5, 0.9, 0.7])
    body = {
        "experiment_ids": ["0"],
        "filter": "metrics.acc > 0.6",
        "order_by": ["metrics.acc DESC"],
        "max_results": 1,
    }
    first = live.ok("POST", "/mlflow/runs/search", body)
    assert [r["info"]["run_id"] for r in first["runs"]] == [ids[1]]
    second = live.ok(
        "POST", "/mlflow/runs/search", {**body, "page_token": first["next_page_token"]}
    )
    assert [r["info"]["run_id"] for r in second["runs"]] == [ids[2]]
    assert "next_page_token" not in second
    assert second["runs"][0]["data"]["metrics"][0]["value"] == 0.7


def test_search_runs_defaults_and_limits(live: Live) -> None:
    _runs_with_metric(live.store, [0.1, 0.2])
    everything = live.ok("POST", "/mlflow/runs/search", {"experiment_ids": ["0"]})
    assert len(everything["runs"]) == 2
    assert live.ok("POST", "/mlflow/runs/search", {"experiment_ids": []}) == {}
    assert live.ok("POST", "/mlflow/runs/search", {}) == {}
    for bad in (
        {"experiment_ids": ["0"], "max_results": 50001},
        {"experiment_ids": ["0"], "max_results": 0},
        {"experiment_ids": ["zero"]},
        {"experiment_ids": ["0"], "filter": "metrics.acc >>> 1"},
        {"experiment_ids": ["0"], "order_by": ["nonsense column DESC x"]},
        {"experiment_ids": [0]},
        {"experiment_ids": "0"},
    ):
        live.fails("POST", "/mlflow/runs/search", bad, 400, "INVALID_PARAMETER_VALUE")
    # An unknown view type name reads as unset (ACTIVE_ONLY), as on the stock server.
    never = live.ok(
        "POST", "/mlflow/runs/search", {"experiment_ids": ["0"], "run_view_type": "NEVER"}
    )
    assert len(never["runs"]) == 2


def test_metric_history_in_full_and_in_pages(live: Live) -> None:
    run_id = _run(live)["info"]["run_id"]
    metrics = [
        {"key": "loss", "value": 1.0 / (i + 1), "timestamp": T0 + i, "step": i} for i in range(25)
    ]
    live.ok("POST", "/mlflow/runs/log-batch", {"run_id": run_id, "metrics": metrics})
    full = live.ok(
        "GET", "/mlflow/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
    )
    assert [m["step"] for m in full["metrics"]] == list(range(25))
    assert full["metrics"][0] == {"key": "loss", "value": 1.0, "timestamp": T0, "step": 0}
    assert "next_page_token" not in full
    steps: list[int] = []
    params: dict[str, Any] = {"run_uuid": run_id, "metric_key": "loss", "max_results": 10}
    while True:
        page = live.ok("GET", "/mlflow/metrics/get-history", params=params)
        steps += [m["step"] for m in page["metrics"]]
        if "next_page_token" not in page:
            break
        params["page_token"] = page["next_page_token"]
    assert steps == list(range(25))
    unknown = live.ok(
        "GET", "/mlflow/metrics/get-history", params={"run_id": run_id, "metric_key": "none"}
    )
    assert unknown == {}
    live.fails(
        "GET",
        "/mlflow/metrics/get-history",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"run_id": run_id, "metric_key": "loss", "max_results": 0},
    )
    live.fails(
        "GET",
        "/mlflow/metrics/get-history",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"run_id": run_id},
    )
