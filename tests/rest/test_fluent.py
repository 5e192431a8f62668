"""The fluent API and RunwellClient end to end against a live server (RUNWELL_TRACKING_URI)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import runwell
from runwell.entities import LifecycleStage, RunStatus, RunTable, ViewType
from runwell.errors import AlreadyExists, InvalidArgument, NotFound
from runwell.store.rest.tracking import RestTrackingStore
from tests.rest.conftest import Server


def test_readme_walkthrough_against_a_server(server: Server, tmp_path: Path) -> None:
    (tmp_path / "confusion.png").write_bytes(b"\x89PNG fake")
    experiment = runwell.set_experiment("wine")
    assert runwell.get_tracking_uri() == server.url
    with runwell.start_run(run_name="baseline") as run:
        runwell.log_params({"alpha": 0.5})
        for step in range(100):
            runwell.log_metric("loss", 1 / (step + 1), step=step)
        runwell.log_metric("nan", math.nan)
        runwell.set_tag("team", "vision")
        runwell.log_artifact(str(tmp_path / "confusion.png"))
        assert runwell.get_artifact_uri("confusion.png") == (
            f"mlflow-artifacts:/{experiment.experiment_id}/{run.info.run_id}/artifacts/confusion.png"
        )
    df = runwell.search_runs(filter_string="metrics.loss < 0.1", order_by=["metrics.loss ASC"])
    assert list(df["run_id"]) == [run.info.run_id]
    assert df.loc[0, "metrics.loss"] == pytest.approx(0.01)
    assert df.loc[0, "params.alpha"] == "0.5"
    assert df.loc[0, "status"] == "FINISHED"
    assert df.loc[0, "tags.mlflow.runName"] == "baseline"
    stored = server.store.get_run(run.info.run_id)
    assert stored.info.experiment_id == experiment.experiment_id
    assert stored.data.tag_dict["team"] == "vision" and math.isnan(stored.data.metric_dict["nan"])
    history = runwell.RunwellClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(100))
    listed = runwell.artifacts.list_artifacts(run_id=run.info.run_id)
    assert [f.path for f in listed] == ["confusion.png"]
    last = runwell.last_active_run()
    assert last is not None and last.info.run_id == run.info.run_id


def test_set_experiment_creates_once_and_refuses_deleted(server: Server) -> None:
    first = runwell.set_experiment("exp")
    again = runwell.set_experiment("exp")
    assert first.experiment_id == again.experiment_id
    assert runwell.get_experiment_by_name("missing") is None
    with pytest.raises(AlreadyExists):
        runwell.create_experiment("exp")
    runwell.delete_experiment(first.experiment_id)
    with pytest.raises(InvalidArgument, match="deleted experiment"):
        runwell.set_experiment("exp")
    names = [e.name for e in runwell.search_experiments(view_type=ViewType.ALL)]
    assert sorted(names) == ["Default", "exp"]


def test_nested_resumed_and_deleted_runs(server: Server) -> None:
    with runwell.start_run(run_name="parent") as parent:
        with runwell.start_run(run_name="child", nested=True) as child:
            runwell.log_metric("m", 1.0)
    assert server.store.get_run(child.info.run_id).data.tag_dict["mlflow.parentRunId"] == (
        parent.info.run_id
    )
    with runwell.start_run(run_id=parent.info.run_id) as resumed:
        assert resumed.info.status is RunStatus.RUNNING
        runwell.log_param("resumed", True)
    run = runwell.get_run(parent.info.run_id)
    assert run.info.status is RunStatus.FINISHED and run.data.param_dict == {"resumed": "True"}
    runwell.delete_run(child.info.run_id)
    assert runwell.get_run(child.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    listed = runwell.search_runs(output_format="list")
    assert [r.info.run_id for r in listed] == [parent.info.run_id]


def test_a_failing_block_ends_the_run_failed(server: Server) -> None:
    with pytest.raises(ZeroDivisionError), runwell.start_run() as run:  # noqa: PT012
        runwell.log_metric("before", 1.0)
        _ = 1 / 0
    stored = server.store.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FAILED
    assert stored.data.metric_dict == {"before": 1.0}


def test_client_errors_match_the_local_store(server: Server) -> None:
    client = runwell.RunwellClient()
    with pytest.raises(NotFound, match="Run with id=0123abc not found"):
        client.get_run("0123abc")
    with pytest.raises(NotFound, match="No Experiment with id=42 exists"):
        client.get_experiment("42")
    with pytest.raises(InvalidArgument, match="must be a valid integer"):
        client.create_run("abc")
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        client.log_metric(run_id, "m", 1.0, synchronous=True)


def test_run_tables_page_through_the_server(server: Server) -> None:
    client = runwell.RunwellClient()
    store = client.store
    assert isinstance(store, RestTrackingStore)
    store.search_page_size = 4
    ids = []
    for i in range(10):
        run_id = client.create_run("0", start_time=1000 + i).info.run_id
        client.log_metric(run_id, "i", float(i))
        ids.append(run_id)
    table = client.search_run_table("0", order_by=["attributes.start_time ASC"])
    assert isinstance(table, RunTable)
    assert table.run_id == ids and table.metrics["i"] == [float(i) for i in range(10)]
    assert len(client.search_run_table("0", max_results=6)) == 6
