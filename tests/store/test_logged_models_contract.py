"""TrackingStore contract, logged models and run model links, on every SQL backend."""

from __future__ import annotations

import re
import time

import pytest

from runwell.entities import (
    LifecycleStage,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
    ModelInput,
    ModelOutput,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store.sql.tracking import SqlTrackingStore


def _tags(**values: str) -> list[LoggedModelTag]:
    return [LoggedModelTag(key=k, value=v) for k, v in values.items()]


def _params(**values: str) -> list[LoggedModelParam]:
    return [LoggedModelParam(key=k, value=v) for k, v in values.items()]


def _names(page: object) -> list[str]:
    return [m.name for m in page]  # type: ignore[attr-defined]


def test_create_logged_model_sets_id_location_status_and_data(store: SqlTrackingStore) -> None:
    exp = store.create_experiment("models")
    run_id = store.create_run(exp.experiment_id, "u", 1).info.run_id
    before = int(time.time() * 1000)
    model = store.create_logged_model(
        exp.experiment_id,
        name="model",
        source_run_id=run_id,
        tags=_tags(**{"mlflow.source.name": "train.py", "team": "a"}),
        params=_params(alpha="0.5", depth="3"),
        model_type="sklearn",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    assert model.artifact_location == (f"{exp.artifact_location}/models/{model.model_id}/artifacts")
    assert (model.experiment_id, model.name, model.source_run_id) == (
        exp.experiment_id,
        "model",
        run_id,
    )
    assert model.status is LoggedModelStatus.PENDING and model.model_type == "sklearn"
    assert model.lifecycle_stage is LifecycleStage.ACTIVE
    assert model.creation_timestamp_ms >= before
    assert model.last_updated_timestamp_ms == model.creation_timestamp_ms
    assert model.tag_dict == {"mlflow.source.name": "train.py", "team": "a"}
    assert model.param_dict == {"alpha": "0.5", "depth": "3"}
    assert store.get_logged_model(model.model_id) == model


def test_create_logged_model_generates_a_name_and_needs_nothing_else(
    store: SqlTrackingStore,
) -> None:
    model = store.create_logged_model("0")
    assert model.name.count("-") == 2
    assert model.source_run_id is None and model.model_type is None
    assert model.tags == {} and model.params == {}


def test_create_logged_model_refuses_bad_experiments_and_names(
    store: SqlTrackingStore,
) -> None:
    with pytest.raises(NotFound, match="No Experiment with id=404"):
        store.create_logged_model("404")
    with pytest.raises(InvalidArgument, match="Invalid experiment ID 'abc'"):
        store.create_logged_model("abc")
    gone = store.create_experiment("gone").experiment_id
    store.delete_experiment(gone)
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        store.create_logged_model(gone)
    with pytest.raises(InvalidArgument, match="source_run_id"):
        store.create_logged_model("0", source_run_id="r" * 65)
    for bad in ("a/b", "a.b", "50%", "it's", "   "):
        with pytest.raises(InvalidArgument, match="Invalid logged model name"):
            store.create_logged_model("0", name=bad)
    with pytest.raises(InvalidArgument, match="Duplicate parameter keys"):
        store.create_logged_model("0", params=[*_params(a="1"), *_params(a="2")])
    with pytest.raises(InvalidArgument, match=re.escape("tags.key")):
        store.create_logged_model("0", tags=_tags(**{"bad#key": "v"}))
    assert len(store.search_logged_models(["0", gone])) == 0
    # As MLflow: the source run is a reference, not looked up (a run of another server).
    assert store.create_logged_model("0", source_run_id="feed").source_run_id == "feed"


def test_get_logged_model_unknown_and_deleted(store: SqlTrackingStore) -> None:
    with pytest.raises(NotFound, match="Logged model with ID 'm-nope' not found"):
        store.get_logged_model("m-nope")
    model = store.create_logged_model("0", name="m")
    store.delete_logged_model(model.model_id)
    with pytest.raises(NotFound):
        store.get_logged_model(model.model_id)
    deleted = store.get_logged_model(model.model_id, allow_deleted=True)
    assert deleted.model_id == model.model_id
    if isinstance(store, SqlTrackingStore):  # MLflow's wire shape has no lifecycle stage
        assert deleted.lifecycle_stage is LifecycleStage.DELETED
    store.delete_logged_model(model.model_id)  # again: nothing changes
    with pytest.raises(NotFound):
        store.delete_logged_model("m-nope")
    with pytest.raises(NotFound):
        store.set_logged_model_tags(model.model_id, _tags(a="b"))


def test_finalize_logged_model_by_any_status_spelling(store: SqlTrackingStore) -> None:
    model = store.create_logged_model("0", name="m")
    ready = store.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    assert ready.status is LoggedModelStatus.READY
    assert ready.last_updated_timestamp_ms >= model.last_updated_timestamp_ms
    assert store.finalize_logged_model(model.model_id, 3).status is LoggedModelStatus.FAILED
    assert store.get_logged_model(model.model_id).status is LoggedModelStatus.FAILED
    with pytest.raises(InvalidArgument, match="LOGGED_MODEL_READY"):
        store.finalize_logged_model(model.model_id, "DONE")
    with pytest.raises(InvalidArgument, match="'status'"):
        store.finalize_logged_model(model.model_id, LoggedModelStatus.UNSPECIFIED)
    with pytest.raises(NotFound):
        store.finalize_logged_model("m-nope", "READY")


def test_logged_model_tags_upsert_and_delete(store: SqlTrackingStore) -> None:
    model_id = store.create_logged_model("0", tags=_tags(a="1")).model_id
    store.set_logged_model_tags(model_id, [*_tags(a="2", b="x"), *_tags(b="y")])
    assert store.get_logged_model(model_id).tag_dict == {"a": "2", "b": "y"}
    store.delete_logged_model_tag(model_id, "a")
    assert store.get_logged_model(model_id).tag_dict == {"b": "y"}
    with pytest.raises(NotFound, match="No tag with key 'a'"):
        store.delete_logged_model_tag(model_id, "a")
    long_value = "v" * 9000
    store.set_logged_model_tags(model_id, _tags(long=long_value))
    assert store.get_logged_model(model_id).tag_dict["long"] == long_value[:8000]


def test_logged_model_params_are_added_once(store: SqlTrackingStore) -> None:
    model_id = store.create_logged_model("0", params=_params(a="1")).model_id
    store.log_logged_model_params(model_id, _params(a="1", b="2"))
    assert store.get_logged_model(model_id).param_dict == {"a": "1", "b": "2"}
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        store.log_logged_model_params(model_id, _params(b="3"))
    with pytest.raises(InvalidArgument, match="at most 100"):
        store.log_logged_model_params(
            model_id, [LoggedModelParam(key=f"k{i}", value="v") for i in range(101)]
        )
    assert store.get_logged_model(model_id).param_dict == {"a": "1", "b": "2"}


def test_log_outputs_and_model_inputs_show_on_the_run(store: SqlTrackingStore) -> None:
    run_id = store.create_run("0", "u", 1).info.run_id
    produced = store.create_logged_model("0", name="produced", source_run_id=run_id)
    consumed = store.create_logged_model("0", name="consumed")
    assert store.get_run(run_id).outputs.model_outputs == ()
    store.log_outputs(run_id, [ModelOutput(model_id=produced.model_id, step=0)])
    store.log_outputs(run_id, [ModelOutput(model_id=produced.model_id, step=7)])  # moves it
    store.log_model_inputs(run_id, [ModelInput(model_id=consumed.model_id)])
    run = store.get_run(run_id)
    assert run.outputs.model_outputs == (ModelOutput(model_id=produced.model_id, step=7),)
    assert run.inputs.model_inputs == (ModelInput(model_id=consumed.model_id),)
    other = store.create_run("0", "u", 2).info.run_id
    found = {r.info.run_id: r for r in store.search_runs(["0"])}
    assert found[run_id] == run and found[other].outputs.model_outputs == ()


def test_log_outputs_refuses_unknown_models_and_runs(store: SqlTrackingStore) -> None:
    run_id = store.create_run("0", "u", 1).info.run_id
    model_id = store.create_logged_model("0").model_id
    with pytest.raises(NotFound, match="m-missing"):
        store.log_outputs(run_id, [ModelOutput(model_id="m-missing", step=0)])
    with pytest.raises(NotFound, match="Run with id=abcd not found"):
        store.log_outputs("abcd", [ModelOutput(model_id=model_id, step=0)])
    store.delete_run(run_id)
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        store.log_outputs(run_id, [ModelOutput(model_id=model_id, step=0)])
    store.restore_run(run_id)
    assert store.get_run(run_id).outputs.model_outputs == ()


def test_search_logged_models_filters(store: SqlTrackingStore) -> None:
    exp = store.create_experiment("search").experiment_id
    run_id = store.create_run(exp, "u", 1).info.run_id
    a = store.create_logged_model(
        exp, name="model", source_run_id=run_id, tags=_tags(team="x"), params=_params(lr="0.1")
    )
    b = store.create_logged_model(exp, name="Model2", model_type="agent", params=_params(lr="1"))
    c = store.create_logged_model(exp, name="other", tags=_tags(team="y"))
    store.finalize_logged_model(b.model_id, "READY")
    store.create_logged_model("0", name="model")  # another experiment

    def names(filter_string: str) -> list[str]:
        return sorted(_names(store.search_logged_models([exp], filter_string)))

    assert names("") == ["Model2", "model", "other"]
    assert names("name = 'model'") == ["model"]
    assert names("name LIKE 'model%'") == ["model"]
    assert names("name ILIKE 'model%'") == ["Model2", "model"]
    assert names(f"model_id = '{c.model_id}'") == ["other"]
    assert names(f"source_run_id = '{run_id}'") == ["model"]
    assert names("model_type = 'agent'") == ["Model2"]
    assert names("model_type != 'agent'") == ["model", "other"]
    assert names("status = 'READY'") == ["Model2"]
    assert names("status IN ('PENDING', 'failed')") == ["model", "other"]
    assert names(f"attributes.creation_timestamp >= {a.creation_timestamp_ms}") == names("")
    assert names("last_updated_time < 0") == []
    assert names("tags.team = 'x'") == ["model"]
    assert names("tags.team IS NULL") == ["Model2"]
    assert names("params.lr = '1' AND name != 'model'") == ["Model2"]
    assert names("params.lr IS NOT NULL and tags.team = 'x'") == ["model"]
    assert len(store.search_logged_models([exp, "0"], "name = 'model'")) == 2
    assert len(store.search_logged_models([])) == 0
    store.delete_logged_model(a.model_id)
    assert names("") == ["Model2", "other"]


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("status = 'LOGGED_MODEL_READY'", "Unknown model status in filter"),
        ("status LIKE 'R%'", "Invalid comparator 'LIKE' for logged model 'status'"),
        ("metrics.acc > 0.5", "does not record metrics per logged model"),
        ("run_name = 'x'", "Invalid attribute key 'run_name'"),
        ("name = model", "Expected a quoted string value"),
        ("name = 'a' OR name = 'b'", "'OR' is not supported"),
        ("creation_timestamp > 'x'", "Expected numeric value"),
    ],
)
def test_search_logged_models_rejects_bad_filters(
    store: SqlTrackingStore, filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        store.search_logged_models(["0"], filter_string)


def test_search_logged_models_orders_and_pages(store: SqlTrackingStore) -> None:
    for name in ("b", "c", "a"):
        store.create_logged_model("0", name=name, tags=_tags(rank=name) if name != "c" else ())
    default = list(store.search_logged_models(["0"]))
    keys = [(-m.creation_timestamp_ms, m.model_id) for m in default]
    assert len(default) == 3 and keys == sorted(keys)  # newest first, then by id
    by_name = store.search_logged_models(["0"], order_by=[{"field_name": "name"}])
    assert _names(by_name) == ["a", "b", "c"]
    descending = [{"field_name": "name", "ascending": False}]
    assert _names(store.search_logged_models(["0"], order_by=descending)) == ["c", "b", "a"]
    by_tag = [{"field_name": "tags.rank", "ascending": False}]
    assert _names(store.search_logged_models(["0"], order_by=by_tag)) == ["b", "a", "c"]
    seen: list[str] = []
    token = None
    while True:
        page = store.search_logged_models(
            ["0"], max_results=2, order_by=[{"field_name": "name"}], page_token=token
        )
        seen += _names(page)
        token = page.token
        if token is None:
            break
    assert seen == ["a", "b", "c"]


def test_search_logged_models_rejects_bad_arguments(store: SqlTrackingStore) -> None:
    with pytest.raises(InvalidArgument, match=re.escape("order_by[0].field_name")):
        store.search_logged_models(["0"], order_by=[{"ascending": True}])
    with pytest.raises(InvalidArgument, match=re.escape("order_by[0].ascending")):
        store.search_logged_models(["0"], order_by=[{"field_name": "name", "ascending": "no"}])
    with pytest.raises(InvalidArgument, match="does not record metrics"):
        store.search_logged_models(["0"], order_by=[{"field_name": "metrics.acc"}])
    with pytest.raises(InvalidArgument, match=re.escape("datasets[0].dataset_name")):
        store.search_logged_models(["0"], datasets=[{"dataset_digest": "x"}])
    with pytest.raises(InvalidArgument, match="max_results"):
        store.search_logged_models(["0"], max_results=50001)
    with pytest.raises(InvalidArgument, match="experiment ID"):
        store.search_logged_models(["x"])
    with pytest.raises(InvalidArgument, match="page token"):
        store.search_logged_models(["0"], page_token="###")
    accepted = store.search_logged_models(["0"], datasets=[{"dataset_name": "train"}])
    assert len(accepted) == 0
