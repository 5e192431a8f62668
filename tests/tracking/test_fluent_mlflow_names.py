"""The rest of MLflow's top-level names that tracking and registry scripts call: the client and
error aliases, the registry URI, experiment tags, restoring, parent runs, logged models,
registry searches and the system metrics settings, on a real SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import runwell
from runwell.entities.logged_model import LoggedModelStatus
from runwell.errors import InvalidArgument, NotFound
from runwell.system_metrics import MonitorSettings


def test_the_client_and_the_error_answer_to_mlflows_names() -> None:
    from runwell.tracking import MlflowClient

    assert runwell.MlflowClient is runwell.RunwellClient is MlflowClient
    with pytest.raises(runwell.MlflowException):
        runwell.MlflowClient().get_run("0" * 32)


def _model_names(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT name FROM registered_models")]


def test_set_registry_uri_keeps_registered_models_in_their_own_store(tmp_path: Path) -> None:
    assert runwell.get_registry_uri() == runwell.get_tracking_uri()
    assert runwell.is_tracking_uri_set()  # RUNWELL_TRACKING_URI, from the test's fixture
    registry = tmp_path / "registry.db"
    runwell.set_registry_uri(f"sqlite:///{registry}")
    assert runwell.get_registry_uri() == f"sqlite:///{registry}"
    runwell.MlflowClient().create_registered_model("wine")
    assert _model_names(registry) == ["wine"]
    assert "wine" not in _model_names(tmp_path / "runwell.db")
    assert [m.name for m in runwell.search_registered_models()] == ["wine"]
    explicit = runwell.MlflowClient(registry_uri=str(tmp_path / "other.db"))
    assert explicit.search_registered_models().items == []
    with pytest.raises(InvalidArgument, match="registry URI"):
        runwell.set_registry_uri("  ")


def test_the_registry_uri_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", f"sqlite:///{tmp_path}/from-env.db")
    assert runwell.get_registry_uri() == f"sqlite:///{tmp_path}/from-env.db"
    runwell.MlflowClient().create_registered_model("env-model")
    assert _model_names(tmp_path / "from-env.db") == ["env-model"]


def test_is_tracking_uri_set_is_false_for_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNWELL_TRACKING_URI")
    assert not runwell.is_tracking_uri_set()
    runwell.set_tracking_uri("sqlite:///elsewhere.db")
    assert runwell.is_tracking_uri_set()


def test_experiment_tags_go_to_the_active_experiment() -> None:
    wine = runwell.set_experiment("wine")
    runwell.set_experiment_tag("team", "vision")
    runwell.set_experiment_tags({"owner": "ana", "priority": 2})
    assert runwell.get_experiment(wine.experiment_id).tags == {
        "team": "vision",
        "owner": "ana",
        "priority": "2",
    }
    runwell.delete_experiment_tag("owner")
    assert "owner" not in runwell.get_experiment(wine.experiment_id).tags
    other = runwell.create_experiment("other")
    with runwell.start_run(experiment_id=other):  # a run's experiment wins
        runwell.set_experiment_tag("seen", "yes")
    assert runwell.get_experiment(other).tags == {"seen": "yes"}
    with pytest.raises(InvalidArgument, match="mapping"):
        runwell.set_experiment_tags([("a", "b")])  # type: ignore[arg-type]
    assert "a" not in runwell.get_experiment(wine.experiment_id).tags


def test_restore_brings_back_deleted_runs_and_experiments() -> None:
    experiment = runwell.create_experiment("trash")
    with runwell.start_run(experiment_id=experiment) as run:
        runwell.log_metric("loss", 0.5)
    runwell.delete_run(run.info.run_id)
    assert runwell.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    runwell.restore_run(run.info.run_id)
    assert runwell.get_run(run.info.run_id).info.lifecycle_stage == "active"
    runwell.delete_experiment(experiment)
    runwell.restore_experiment(experiment)
    assert runwell.get_experiment(experiment).lifecycle_stage == "active"
    assert runwell.get_run(run.info.run_id).data.metrics == {"loss": 0.5}


def test_get_parent_run_follows_nested_runs() -> None:
    with runwell.start_run() as parent:
        with runwell.start_run(nested=True) as child:
            pass
    found = runwell.get_parent_run(child.info.run_id)
    assert found is not None and found.info.run_id == parent.info.run_id
    assert runwell.get_parent_run(parent.info.run_id) is None
    with pytest.raises(NotFound):
        runwell.get_parent_run("f" * 32)


def test_a_logged_model_by_hand_initialized_tagged_and_finalized() -> None:
    runwell.set_experiment("models")
    assert runwell.last_logged_model() is None
    with runwell.start_run() as run:
        model = runwell.initialize_logged_model(name="clf", tags={"stage": "dev"}, params={"a": 1})
    assert model.status is LoggedModelStatus.PENDING and model.source_run_id == run.info.run_id
    last = runwell.last_logged_model()
    assert last is not None and last.model_id == model.model_id
    runwell.log_model_params({"depth": 4})  # the model logged last
    runwell.set_logged_model_tags(model.model_id, {"owner": "ana"})
    runwell.delete_logged_model_tag(model.model_id, "stage")
    ready = runwell.finalize_logged_model(model.model_id, "READY")
    assert ready.status is LoggedModelStatus.READY
    fetched = runwell.get_logged_model(model.model_id)
    assert fetched.params == {"a": "1", "depth": "4"}
    assert fetched.tags.get("owner") == "ana" and "stage" not in fetched.tags


def test_log_model_params_without_a_model_says_what_it_needs() -> None:
    with pytest.raises(InvalidArgument, match="needs a model_id"):
        runwell.log_model_params({"depth": 4})


def test_search_logged_models_as_a_frame_or_a_list() -> None:
    experiment = runwell.set_experiment("search-models").experiment_id
    for depth in (2, 4, 8):
        runwell.initialize_logged_model(name=f"tree-{depth}", params={"depth": depth})
    frame = runwell.search_logged_models()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 3
    assert {"model_id", "name", "params", "tags", "status", "experiment_id"} <= set(frame.columns)
    assert set(frame["experiment_id"]) == {experiment}
    assert sorted(frame["name"]) == ["tree-2", "tree-4", "tree-8"]
    found = runwell.search_logged_models(
        [experiment], filter_string="name = 'tree-4'", output_format="list"
    )
    assert [m.params for m in found] == [{"depth": "4"}]
    assert len(runwell.search_logged_models(max_results=2, output_format="list")) == 2
    with pytest.raises(InvalidArgument, match="output_format"):
        runwell.search_logged_models(output_format="json")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="max_results"):
        runwell.search_logged_models(max_results=0)


def test_registry_searches_return_every_page_and_version_tags_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNWELL_ALLOWED_MODEL_SOURCES", "s3://bucket/")  # an admin's choice
    client = runwell.MlflowClient()
    for name in ("a-model", "b-model", "c-model"):
        client.create_registered_model(name)
        client.create_model_version(name, "s3://bucket/model")
    assert [m.name for m in runwell.search_registered_models(order_by=["name DESC"])] == [
        "c-model",
        "b-model",
        "a-model",
    ]
    assert len(runwell.search_registered_models(max_results=2)) == 2
    runwell.set_model_version_tag("b-model", "1", "validated", True)
    versions = runwell.search_model_versions(filter_string="tags.validated = 'True'")
    assert [(v.name, v.version) for v in versions] == [("b-model", "1")]
    assert versions[0].tags == {"validated": "True"}
    with pytest.raises(InvalidArgument, match="needs a version"):
        runwell.set_model_version_tag("b-model", key="k", value="v")
    with pytest.raises(InvalidArgument, match="max_results"):
        runwell.search_model_versions(max_results=-1)


def test_system_metrics_settings_reach_the_monitor_of_new_runs() -> None:
    runwell.set_system_metrics_sampling_interval(0.5)
    runwell.set_system_metrics_samples_before_logging(3)
    runwell.set_system_metrics_node_id("worker-1")
    settings = MonitorSettings.from_env()
    assert (settings.interval, settings.samples_before_logging) == (0.5, 3)
    assert settings.prefix == "system/worker-1/"
    cases: list[tuple[Any, Any]] = [
        (runwell.set_system_metrics_sampling_interval, 0),
        (runwell.set_system_metrics_sampling_interval, float("inf")),
        (runwell.set_system_metrics_samples_before_logging, 1.5),
        (runwell.set_system_metrics_node_id, "a/b"),
    ]
    for call, bad in cases:
        with pytest.raises(InvalidArgument, match="expected"):
            call(bad)
    assert MonitorSettings.from_env().interval == 0.5  # a refused value changed nothing
    runwell.set_system_metrics_sampling_interval(None)
    runwell.set_system_metrics_node_id(None)
    assert MonitorSettings.from_env().interval == 10.0
    assert MonitorSettings.from_env().prefix == "system/"
