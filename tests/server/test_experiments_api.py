"""Experiment endpoints over HTTP: happy paths and the errors MLflow's client keys off."""

from __future__ import annotations

import pytest

from runwell.entities import LifecycleStage
from tests.server.conftest import Live


def _create(live: Live, name: str, **extra: object) -> str:
    experiment_id = live.ok("POST", "/mlflow/experiments/create", {"name": name, **extra})[
        "experiment_id"
    ]
    assert isinstance(experiment_id, str)
    return experiment_id


def test_create_then_get_returns_the_proxied_location_and_tags(live: Live) -> None:
    experiment_id = _create(live, "wine", tags=[{"key": "team", "value": "vision"}])
    got = live.ok("GET", "/mlflow/experiments/get", params={"experiment_id": experiment_id})
    experiment = got["experiment"]
    assert experiment["experiment_id"] == experiment_id
    assert experiment["name"] == "wine"
    assert experiment["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
    assert experiment["lifecycle_stage"] == "active"
    assert experiment["tags"] == [{"key": "team", "value": "vision"}]
    assert isinstance(experiment["creation_time"], int)
    assert live.store.get_experiment(experiment_id).name == "wine"


def test_default_experiment_lives_under_the_proxy(live: Live) -> None:
    got = live.ok("GET", "/mlflow/experiments/get", params={"experiment_id": "0"})
    assert got["experiment"]["artifact_location"] == "mlflow-artifacts:/0"


def test_create_duplicate_name_is_resource_already_exists_400(live: Live) -> None:
    _create(live, "dup")
    message = live.fails(
        "POST", "/mlflow/experiments/create", {"name": "dup"}, 400, "RESOURCE_ALREADY_EXISTS"
    )
    assert "dup" in message


def test_create_without_name_names_the_field(live: Live) -> None:
    message = live.fails("POST", "/mlflow/experiments/create", {}, 400, "INVALID_PARAMETER_VALUE")
    assert "'name'" in message


def test_create_rejects_a_runs_uri_location(live: Live) -> None:
    live.fails(
        "POST",
        "/mlflow/experiments/create",
        {"name": "x", "artifact_location": "runs:/abc/model"},
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_get_by_name_missing_is_resource_does_not_exist(live: Live) -> None:
    message = live.fails(
        "GET",
        "/mlflow/experiments/get-by-name",
        None,
        404,
        "RESOURCE_DOES_NOT_EXIST",
        params={"experiment_name": "nope"},
    )
    assert "nope" in message
    experiment_id = _create(live, "there")
    got = live.ok("GET", "/mlflow/experiments/get-by-name", params={"experiment_name": "there"})
    assert got["experiment"]["experiment_id"] == experiment_id


def test_get_unknown_and_non_integer_ids(live: Live) -> None:
    live.fails(
        "GET",
        "/mlflow/experiments/get",
        None,
        404,
        "RESOURCE_DOES_NOT_EXIST",
        params={"experiment_id": "999"},
    )
    message = live.fails(
        "GET",
        "/mlflow/experiments/get",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"experiment_id": "abc"},
    )
    assert "abc" in message
    live.fails("GET", "/mlflow/experiments/get", None, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_search_pages_filters_and_orders(live: Live, method: str) -> None:
    for name in ("a", "b", "c"):
        _create(live, name)
    body = {"max_results": 2, "filter": "name != 'Default'", "order_by": ["name DESC"]}
    if method == "POST":
        first = live.ok("POST", "/mlflow/experiments/search", body)
    else:
        first = live.ok("GET", "/mlflow/experiments/search", params=body)
    assert [e["name"] for e in first["experiments"]] == ["c", "b"]
    token = first["next_page_token"]
    rest = live.ok("POST", "/mlflow/experiments/search", {**body, "page_token": token})
    assert [e["name"] for e in rest["experiments"]] == ["a"]
    assert "next_page_token" not in rest


def test_search_without_max_results_is_400_as_on_the_stock_server(live: Live) -> None:
    message = live.fails("POST", "/mlflow/experiments/search", {}, 400, "INVALID_PARAMETER_VALUE")
    assert "max_results" in message


def test_search_limits_and_bad_filter(live: Live) -> None:
    live.fails(
        "POST",
        "/mlflow/experiments/search",
        {"max_results": 50001},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    live.fails(
        "POST",
        "/mlflow/experiments/search",
        {"max_results": 10, "filter": "name === 'x'"},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    # An unknown enum name reads as unset (ACTIVE_ONLY), as on the stock server.
    found = live.ok(
        "POST", "/mlflow/experiments/search", {"max_results": 10, "view_type": "SOMETIMES"}
    )
    assert [e["name"] for e in found["experiments"]] == ["Default"]


def test_search_with_no_hits_is_an_empty_object(live: Live) -> None:
    found = live.ok(
        "POST", "/mlflow/experiments/search", {"max_results": 5, "filter": "name = 'none'"}
    )
    assert found == {}


def test_delete_restore_and_view_types(live: Live) -> None:
    experiment_id = _create(live, "gone")
    assert live.ok("POST", "/mlflow/experiments/delete", {"experiment_id": experiment_id}) == {}
    assert live.store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED
    deleted = live.ok(
        "POST", "/mlflow/experiments/search", {"max_results": 10, "view_type": "DELETED_ONLY"}
    )
    assert [e["experiment_id"] for e in deleted["experiments"]] == [experiment_id]
    by_number = live.ok("POST", "/mlflow/experiments/search", {"max_results": 10, "view_type": 2})
    assert by_number == deleted
    assert live.ok("POST", "/mlflow/experiments/restore", {"experiment_id": experiment_id}) == {}
    assert live.store.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.ACTIVE


def test_update_renames_and_refuses_a_taken_name(live: Live) -> None:
    experiment_id = _create(live, "old")
    _create(live, "taken")
    live.ok(
        "POST", "/mlflow/experiments/update", {"experiment_id": experiment_id, "new_name": "new"}
    )
    assert live.store.get_experiment(experiment_id).name == "new"
    live.fails(
        "POST",
        "/mlflow/experiments/update",
        {"experiment_id": experiment_id, "new_name": "taken"},
        400,
        "RESOURCE_ALREADY_EXISTS",
    )
    message = live.fails(
        "POST",
        "/mlflow/experiments/update",
        {"experiment_id": experiment_id},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "new_name" in message


def test_experiment_tags_set_overwrite_and_delete(live: Live) -> None:
    experiment_id = _create(live, "tagged")
    path = "/mlflow/experiments/set-experiment-tag"
    live.ok("POST", path, {"experiment_id": experiment_id, "key": "k", "value": "1"})
    live.ok("POST", path, {"experiment_id": experiment_id, "key": "k", "value": "2"})
    assert live.store.get_experiment(experiment_id).tag_dict == {"k": "2"}
    live.ok(
        "POST",
        "/mlflow/experiments/delete-experiment-tag",
        {"experiment_id": experiment_id, "key": "k"},
    )
    assert live.store.get_experiment(experiment_id).tag_dict == {}
    live.fails(
        "POST",
        "/mlflow/experiments/delete-experiment-tag",
        {"experiment_id": experiment_id, "key": "k"},
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    live.fails("POST", path, {"experiment_id": experiment_id}, 400, "INVALID_PARAMETER_VALUE")
