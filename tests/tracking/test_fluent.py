"""The fluent API as a user script calls it, on the embedded store of each test."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runwell
from runwell.entities import LifecycleStage, RunStatus
from runwell.errors import InvalidArgument, NotFound
from runwell.tracking import fluent


def test_readme_walkthrough_lands_in_working_directory(tmp_path: Path) -> None:
    (tmp_path / "confusion.png").write_bytes(b"\x89PNG fake")
    runwell.set_experiment("wine")
    with runwell.start_run(run_name="baseline") as run:
        runwell.log_params({"alpha": 0.5})
        for step in range(100):
            runwell.log_metric("loss", 1 / (step + 1), step=step)
        runwell.log_artifact("confusion.png")
    df = runwell.search_runs(filter_string="metrics.loss < 0.1", order_by=["metrics.loss ASC"])
    assert list(df["run_id"]) == [run.info.run_id]
    assert df.loc[0, "metrics.loss"] == pytest.approx(0.01)
    assert df.loc[0, "params.alpha"] == "0.5"
    assert df.loc[0, "status"] == "FINISHED"
    assert df.loc[0, "tags.mlflow.runName"] == "baseline"
    for column in ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"):
        assert column in df.columns
    assert (tmp_path / "runwell.db").exists()
    artifact_dir = Path(run.info.artifact_uri.removeprefix("file://"))
    assert (artifact_dir / "confusion.png").read_bytes() == b"\x89PNG fake"
    assert str(artifact_dir).startswith(str(tmp_path / "runwell-artifacts"))


def test_default_store_without_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNWELL_TRACKING_URI")
    assert runwell.get_tracking_uri() == f"sqlite:///{tmp_path}/runwell.db"
    with runwell.start_run() as run:
        runwell.log_metric("m", 1.0)
    assert runwell.get_run(run.info.run_id).info.experiment_id == "0"


def test_set_tracking_uri_points_elsewhere(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    runwell.set_tracking_uri(f"sqlite:///{other}/x.db")
    with runwell.start_run():
        runwell.log_param("p", "1")
    assert (other / "x.db").exists()
    assert (other / "runwell-artifacts").exists() is False  # nothing logged as a file yet


def test_a_client_made_without_a_uri_follows_set_tracking_uri(tmp_path: Path) -> None:
    chosen = f"sqlite:///{tmp_path}/chosen.db"
    runwell.set_tracking_uri(chosen)
    with runwell.start_run() as run:
        runwell.log_metric("m", 1.0)
    client = runwell.RunwellClient()
    assert client.tracking_uri == chosen
    assert client.get_run(run.info.run_id).data.metric_dict == {"m": 1.0}
    assert runwell.RunwellClient(f"sqlite:///{tmp_path}/explicit.db").tracking_uri.endswith(
        "explicit.db"
    )
    fluent.reset()  # back to the environment's URI
    assert runwell.RunwellClient().tracking_uri == f"sqlite:///{tmp_path}/runwell.db"


def test_run_status_follows_the_with_block() -> None:
    with runwell.start_run() as ok:
        pass
    with pytest.raises(ZeroDivisionError), runwell.start_run() as failed:
        _ = 1 / 0
    assert runwell.get_run(ok.info.run_id).info.status is RunStatus.FINISHED
    info = runwell.get_run(failed.info.run_id).info
    assert info.status is RunStatus.FAILED and info.end_time is not None
    assert runwell.active_run() is None
    last = runwell.last_active_run()
    assert last is not None and last.info.run_id == failed.info.run_id


def test_nested_runs_carry_parent_tag_and_unnested_second_run_is_refused() -> None:
    with runwell.start_run() as parent:
        with pytest.raises(InvalidArgument, match="already active"):
            runwell.start_run()
        with runwell.start_run(nested=True) as child:
            assert runwell.active_run() is not None
            assert runwell.active_run().info.run_id == child.info.run_id  # type: ignore[union-attr]
        assert runwell.active_run().info.run_id == parent.info.run_id  # type: ignore[union-attr]
    tags = runwell.get_run(child.info.run_id).data.tag_dict
    assert tags["mlflow.parentRunId"] == parent.info.run_id


def test_resume_run_by_id_and_system_tags() -> None:
    with runwell.start_run(run_name="first", description="**notes**") as run:
        runwell.log_metric("m", 1.0, step=0)
    with runwell.start_run(run_id=run.info.run_id):
        runwell.log_metric("m", 2.0, step=1)
    resumed = runwell.get_run(run.info.run_id)
    assert resumed.info.status is RunStatus.FINISHED
    assert resumed.data.metric_dict == {"m": 2.0}
    tags = resumed.data.tag_dict
    assert tags["mlflow.note.content"] == "**notes**"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"]
    assert "mlflow.source.name" in tags


def test_logging_without_a_run_starts_one() -> None:
    runwell.log_metric("auto", 3.0)
    active = runwell.active_run()
    assert active is not None
    runwell.end_run()
    assert runwell.get_run(active.info.run_id).data.metric_dict == {"auto": 3.0}


def test_log_metrics_params_tags_and_delete_tag() -> None:
    with runwell.start_run() as run:
        runwell.log_metrics({"a": 1, "b": float("nan")}, step=3)
        runwell.log_params({f"p{i}": i for i in range(150)})  # split into batches of 100
        runwell.set_tags({"x": "1", "y": 2})
        runwell.set_tag("z", "3")
        runwell.delete_tag("x")
        runwell.log_param("single", [1, 2])
    data = runwell.get_run(run.info.run_id).data
    assert data.metric_dict["a"] == 1.0 and math.isnan(data.metric_dict["b"])
    assert len(data.params) == 151 and data.param_dict["single"] == "[1, 2]"
    assert {"y": "2", "z": "3"}.items() <= data.tag_dict.items() and "x" not in data.tag_dict


@pytest.mark.parametrize("value", ["abc", None, True, [1.0]])
def test_log_metric_rejects_non_numbers(value: object) -> None:
    with runwell.start_run(), pytest.raises(InvalidArgument, match="loss"):
        runwell.log_metric("loss", value)  # type: ignore[arg-type]


def test_set_experiment_creates_reuses_and_refuses_deleted() -> None:
    first = runwell.set_experiment("exp")
    again = runwell.set_experiment("exp")
    assert first.experiment_id == again.experiment_id
    with runwell.start_run() as run:
        pass
    assert runwell.get_run(run.info.run_id).info.experiment_id == first.experiment_id
    runwell.delete_experiment(first.experiment_id)
    with pytest.raises(InvalidArgument, match="deleted"):
        runwell.set_experiment("exp")
    with pytest.raises(NotFound):
        runwell.set_experiment(experiment_id="4242")
    with pytest.raises(InvalidArgument, match="exactly one"):
        runwell.set_experiment()


def test_search_experiments_and_get_by_name() -> None:
    runwell.create_experiment("alpha", tags={"k": "v"})
    runwell.create_experiment("beta")
    names = [e.name for e in runwell.search_experiments(order_by=["name"])]
    assert names == ["Default", "alpha", "beta"]
    found = runwell.get_experiment_by_name("alpha")
    assert found is not None and found.tag_dict == {"k": "v"}
    assert runwell.get_experiment_by_name("missing") is None
    filtered = runwell.search_experiments(filter_string="tags.k = 'v'")
    assert [e.name for e in filtered] == ["alpha"]


def test_search_runs_dataframe_shape_and_list_output() -> None:
    runwell.set_experiment("frame")
    for i in range(3):
        with runwell.start_run():
            runwell.log_metric("m", float(i))
            runwell.log_param("i", i)
    df = runwell.search_runs(order_by=["metrics.m DESC"])
    assert list(df["metrics.m"]) == [2.0, 1.0, 0.0]
    assert str(df["start_time"].dtype).startswith("datetime64")
    runs = runwell.search_runs(output_format="list", max_results=2)
    assert isinstance(runs, list) and len(runs) == 2
    empty = runwell.search_runs(filter_string="metrics.m > 100")
    assert len(empty) == 0 and "run_id" in empty.columns
    with pytest.raises(InvalidArgument, match="output_format"):
        runwell.search_runs(output_format="csv")
    everything = runwell.search_runs(search_all_experiments=True)
    assert len(everything) == 3
    by_name = runwell.search_runs(experiment_names=["frame"])
    assert len(by_name) == 3


def test_delete_run_hides_it_from_search() -> None:
    with runwell.start_run() as run:
        pass
    runwell.delete_run(run.info.run_id)
    assert runwell.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    assert len(runwell.search_runs()) == 0
    assert len(runwell.search_runs(run_view_type="ALL")) == 1


def test_env_run_id_attaches_to_existing_run(monkeypatch: pytest.MonkeyPatch) -> None:
    client = runwell.RunwellClient()
    run = client.create_run("0")
    monkeypatch.setenv("MLFLOW_RUN_ID", run.info.run_id)
    with runwell.start_run() as attached:
        runwell.log_param("from_env", "yes")
    assert attached.info.run_id == run.info.run_id
    assert client.get_run(run.info.run_id).data.param_dict == {"from_env": "yes"}


def test_git_commit_is_recorded_for_scripts_in_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    script = repo / "train.py"
    script.write_text("import runwell\nwith runwell.start_run() as r:\n    print(r.info.run_id)\n")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=repo, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    env = {**os.environ, "RUNWELL_CAPTURE_GIT": "1"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    tags = runwell.get_run(done.stdout.strip()).data.tag_dict
    assert tags["mlflow.source.git.commit"] == commit
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.name"] == str(script)
