"""Logged-model endpoints over HTTP (reference §4.3), the run links and the legacy log-model."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from runwell.entities import LifecycleStage, LoggedModelStatus, ModelOutput
from tests.server.conftest import Live

_MODELS = "/mlflow/logged-models"


def _experiment(live: Live, name: str = "models") -> str:
    return live.store.create_experiment(name).experiment_id


def _create(live: Live, experiment_id: str, **fields: object) -> dict[str, Any]:
    model = live.ok("POST", _MODELS, {"experiment_id": experiment_id, **fields})["model"]
    assert isinstance(model, dict)
    return model


def test_create_answers_mlflow_shapes_and_the_store_agrees(live: Live) -> None:
    exp = _experiment(live)
    run_id = live.store.create_run(exp, "u", 1).info.run_id
    model = _create(
        live,
        exp,
        name="model",
        source_run_id=run_id,
        model_type="sklearn",
        params=[{"key": "alpha", "value": "0.5"}],
        tags=[{"key": "mlflow.source.name", "value": "train.py"}],
    )
    info = model["info"]
    model_id = info["model_id"]
    assert isinstance(model_id, str) and re.fullmatch(r"m-[0-9a-f]{32}", model_id)
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp}/models/{model_id}/artifacts"
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert (info["experiment_id"], info["name"], info["source_run_id"]) == (exp, "model", run_id)
    assert info["model_type"] == "sklearn"
    assert info["tags"] == [{"key": "mlflow.source.name", "value": "train.py"}]
    assert isinstance(info["creation_timestamp_ms"], int)
    assert model["data"] == {"params": [{"key": "alpha", "value": "0.5"}]}
    stored = live.store.get_logged_model(model_id)
    assert stored.param_dict == {"alpha": "0.5"} and stored.source_run_id == run_id
    got = live.ok("GET", f"{_MODELS}/{model_id}")
    assert got == {"model": model}


def test_create_errors_name_the_problem(live: Live) -> None:
    message = live.fails("POST", _MODELS, {}, 400, "INVALID_PARAMETER_VALUE")
    assert "'experiment_id'" in message
    live.fails("POST", _MODELS, {"experiment_id": "99"}, 404, "RESOURCE_DOES_NOT_EXIST")
    # A source run this server never saw is recorded as given, as MLflow does.
    made = live.ok("POST", _MODELS, {"experiment_id": "0", "source_run_id": "123"})
    assert made["model"]["info"]["source_run_id"] == "123"
    message = live.fails(
        "POST",
        _MODELS,
        {"experiment_id": "0", "source_run_id": "r" * 65},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "source_run_id" in message
    message = live.fails(
        "POST", _MODELS, {"experiment_id": "0", "name": "a/b"}, 400, "INVALID_PARAMETER_VALUE"
    )
    assert "name" in message
    message = live.fails(
        "POST",
        _MODELS,
        {"experiment_id": "0", "tags": [{"value": "x"}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "tags[0].key" in message
    gone = _experiment(live, "gone")
    live.store.delete_experiment(gone)
    message = live.fails("POST", _MODELS, {"experiment_id": gone}, 400, "INVALID_PARAMETER_VALUE")
    assert "active" in message


def test_finalize_tag_params_and_delete_lifecycle(live: Live) -> None:
    model_id = _create(live, "0", name="m")["info"]["model_id"]
    path = f"{_MODELS}/{model_id}"
    done = live.ok("PATCH", path, {"model_id": model_id, "status": "LOGGED_MODEL_READY"})
    assert done["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    assert live.ok("PATCH", f"{path}/tags", {"tags": [{"key": "a/b", "value": "1"}]}) == {}
    assert (
        live.ok(
            "POST", f"{path}/params", {"model_id": model_id, "params": [{"key": "p", "value": "2"}]}
        )
        == {}
    )
    model = live.store.get_logged_model(model_id)
    assert model.status is LoggedModelStatus.READY
    assert model.tag_dict == {"a/b": "1"} and model.param_dict == {"p": "2"}
    assert live.ok("DELETE", f"{path}/tags/a%2Fb") == {}
    assert live.store.get_logged_model(model_id).tag_dict == {}
    live.fails("DELETE", f"{path}/tags/a%2Fb", None, 404, "RESOURCE_DOES_NOT_EXIST")
    assert live.ok("DELETE", path, {"model_id": model_id}) == {}
    live.fails("GET", path, None, 404, "RESOURCE_DOES_NOT_EXIST")
    kept = live.ok("GET", path, params={"allow_deleted": "true"})["model"]
    assert kept["info"]["model_id"] == model_id
    assert live.store.get_logged_model(model_id, allow_deleted=True).lifecycle_stage is (
        LifecycleStage.DELETED
    )


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"status": "LOGGED_MODEL_READY"}),
        ("DELETE", "", {}),
        ("PATCH", "/tags", {"tags": [{"key": "a", "value": "b"}]}),
        ("DELETE", "/tags/a", None),
        ("POST", "/params", {"params": [{"key": "a", "value": "b"}]}),
        ("GET", "/artifacts/directories", None),
    ],
)
def test_unknown_model_is_resource_does_not_exist(
    live: Live, method: str, suffix: str, body: object
) -> None:
    message = live.fails(
        method, f"{_MODELS}/m-missing{suffix}", body, 404, "RESOURCE_DOES_NOT_EXIST"
    )
    assert "m-missing" in message


def test_finalize_and_params_refuse_bad_input(live: Live) -> None:
    model_id = _create(live, "0")["info"]["model_id"]
    path = f"{_MODELS}/{model_id}"
    message = live.fails("PATCH", path, {"model_id": model_id}, 400, "INVALID_PARAMETER_VALUE")
    assert "'status'" in message
    message = live.fails("PATCH", path, {"status": "DONE"}, 400, "INVALID_PARAMETER_VALUE")
    assert "'status'" in message and "LOGGED_MODEL_READY" in message
    assert live.ok("PATCH", path, {"status": 3})["model"]["info"]["status"] == (
        "LOGGED_MODEL_UPLOAD_FAILED"
    )
    live.ok("POST", f"{path}/params", {"params": [{"key": "p", "value": "1"}]})
    message = live.fails(
        "POST",
        f"{path}/params",
        {"params": [{"key": "p", "value": "2"}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "Changing param values" in message
    live.fails("POST", f"{path}/params", {"params": "x"}, 400, "INVALID_PARAMETER_VALUE")


def test_search_by_name_pages_and_rejects_bad_queries(live: Live) -> None:
    exp = _experiment(live)
    for name in ("model", "model", "other"):
        _create(live, exp, name=name)
    search = f"{_MODELS}/search"
    assert live.ok("POST", search, {"experiment_ids": []}) == {}
    found = live.ok("POST", search, {"experiment_ids": [exp], "filter": "name = 'model'"})
    assert [m["info"]["name"] for m in found["models"]] == ["model", "model"]
    assert "next_page_token" not in found
    order = [{"field_name": "name", "ascending": False}]
    first = live.ok("POST", search, {"experiment_ids": [exp], "max_results": 2, "order_by": order})
    assert [m["info"]["name"] for m in first["models"]] == ["other", "model"]
    rest = live.ok(
        "POST",
        search,
        {
            "experiment_ids": [exp],
            "max_results": 2,
            "order_by": order,
            "page_token": first["next_page_token"],
        },
    )
    assert [m["info"]["name"] for m in rest["models"]] == [
        "model"
    ] and "next_page_token" not in rest
    message = live.fails(
        "POST",
        search,
        {"experiment_ids": [exp], "filter": "status = 'LOGGED_MODEL_READY'"},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "Unknown model status" in message
    message = live.fails(
        "POST",
        search,
        {"experiment_ids": [exp], "order_by": [{"ascending": True}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "order_by[0].field_name" in message
    message = live.fails(
        "POST",
        search,
        {"experiment_ids": [exp], "datasets": [{"dataset_digest": "d"}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "datasets[0].dataset_name" in message
    live.fails("POST", search, {"experiment_ids": ["x"]}, 400, "INVALID_PARAMETER_VALUE")


def test_run_outputs_link_models_and_show_on_the_run(live: Live) -> None:
    run_id = live.store.create_run("0", "u", 1).info.run_id
    model_id = _create(live, "0", source_run_id=run_id)["info"]["model_id"]
    body = {"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]}
    assert live.ok("POST", "/mlflow/runs/outputs", body) == {}
    run = live.ok("GET", "/mlflow/runs/get", params={"run_id": run_id})["run"]
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}
    assert live.store.get_run(run_id).outputs.model_outputs == (ModelOutput(model_id=model_id),)
    message = live.fails(
        "POST",
        "/mlflow/runs/outputs",
        {"run_id": run_id, "models": [{"step": 0}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "models[0].model_id" in message
    message = live.fails(
        "POST",
        "/mlflow/runs/outputs",
        {"run_id": run_id, "models": [{"model_id": model_id}]},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "models[0].step" in message
    live.fails(
        "POST",
        "/mlflow/runs/outputs",
        {"run_id": run_id, "models": [{"model_id": "m-nope", "step": 0}]},
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    live.fails(
        "POST",
        "/mlflow/runs/outputs",
        {"run_id": "feed", "models": []},
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )


def test_model_files_list_and_download_through_the_model(live: Live) -> None:
    exp = _experiment(live)
    info = _create(live, exp)["info"]
    model_id = info["model_id"]
    base = f"/mlflow-artifacts/artifacts/{exp}/models/{model_id}/artifacts"
    for name, data in (("MLmodel", b"flavors: {}\n"), ("data/model.pkl", b"\x00\x01")):
        response = live.http.put(f"/api/2.0{base}/{name}", content=data)
        assert response.status_code == 200, response.text
    listing = live.ok("GET", f"{_MODELS}/{model_id}/artifacts/directories")
    assert listing["root_uri"] == info["artifact_uri"]
    assert {(f["path"], f["is_dir"]) for f in listing["files"]} == {
        ("MLmodel", False),
        ("data", True),
    }
    inner = live.ok(
        "GET",
        f"{_MODELS}/{model_id}/artifacts/directories",
        params={"artifact_directory_path": "data"},
    )
    assert inner["files"] == [{"path": "data/model.pkl", "is_dir": False, "file_size": 2}]
    download = live.call(
        "GET",
        f"{_MODELS}/{model_id}/artifacts/files",
        params={"artifact_file_path": "MLmodel"},
        prefix="/ajax-api/2.0",
    )
    assert download.status_code == 200 and download.content == b"flavors: {}\n"
    live.fails(
        "GET",
        f"{_MODELS}/{model_id}/artifacts/directories",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"artifact_directory_path": "../../etc"},
    )
    live.fails(
        "GET",
        f"{_MODELS}/{model_id}/artifacts/files",
        None,
        404,
        "RESOURCE_DOES_NOT_EXIST",
        params={"artifact_file_path": "nothing"},
    )


def test_legacy_log_model_appends_to_the_history_tag(live: Live) -> None:
    run_id = live.store.create_run("0", "u", 1).info.run_id
    for path in ("model", "other"):
        mlmodel: dict[str, object] = {
            "artifact_path": path,
            "flavors": {},
            "utc_time_created": "now",
            "run_id": run_id,
        }
        body = {"run_id": run_id, "model_json": json.dumps(mlmodel)}
        assert live.ok("POST", "/mlflow/runs/log-model", body) == {}
    history = json.loads(live.store.get_run(run_id).data.tag_dict["mlflow.log-model.history"])
    assert [entry["artifact_path"] for entry in history] == ["model", "other"]
    message = live.fails(
        "POST",
        "/mlflow/runs/log-model",
        {"run_id": run_id, "model_json": json.dumps({"artifact_path": "x"})},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "flavors" in message and "run_id" in message
    message = live.fails(
        "POST", "/mlflow/runs/log-model", {"run_id": run_id}, 400, "INVALID_PARAMETER_VALUE"
    )
    assert "'model_json'" in message
    live.fails(
        "POST",
        "/mlflow/runs/log-model",
        {"run_id": run_id, "model_json": "{not json"},
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_long_history_keeps_the_newest_entries(live: Live) -> None:
    run_id = live.store.create_run("0", "u", 1).info.run_id
    padding = "x" * 3000
    for index in range(4):
        mlmodel = {
            "artifact_path": f"m{index}",
            "flavors": {"pad": padding},
            "utc_time_created": "now",
            "run_id": run_id,
        }
        live.ok(
            "POST", "/mlflow/runs/log-model", {"run_id": run_id, "model_json": json.dumps(mlmodel)}
        )
    text = live.store.get_run(run_id).data.tag_dict["mlflow.log-model.history"]
    assert len(text) <= 8000
    assert [entry["artifact_path"] for entry in json.loads(text)] == ["m2", "m3"]
