"""runwell.projects.run end to end: real projects, real processes, this test's SQLite store."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

import runwell
import runwell.projects
from runwell.errors import InvalidArgument, InvalidState, NotFound, RunwellError
from runwell.projects import ProjectRunFailed
from tests.projects.builders import (
    GitRepo,
    all_runs,
    git,
    make_project,
    reporter_project,
    run_of,
)


@pytest.fixture(autouse=True)
def _caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_PROJECTS_ROOT", str(tmp_path / "projects-cache"))
    monkeypatch.setenv("RUNWELL_ENV_ROOT", str(tmp_path / "envs"))


def logs(run_id: str, name: str) -> str:
    path = runwell.RunwellClient().download_artifacts(run_id, f"project-logs/{name}")
    return Path(path).read_text()


def child_report(run_id: str) -> dict[str, object]:
    line = logs(run_id, "stdout.txt").strip().splitlines()[-1]
    report: dict[str, object] = json.loads(line)
    return report


def test_a_run_records_tags_params_output_and_the_childs_logging(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    reporter_project(repo.path / "proj")
    commit = repo.commit("project")
    git(["remote", "add", "origin", "https://example.com/reporter.git"], repo.path)

    submitted = runwell.projects.run(
        str(repo.path) + "#proj", parameters={"name": "a b", "extra": 7}, run_name="first"
    )

    assert submitted.get_status() == "FINISHED"
    run = run_of(submitted.run_id)
    assert run.info.status == runwell.RunStatus.FINISHED
    assert run.info.run_name == "first"
    assert run.data.param_dict == {"alpha": "0.5", "count": "3", "name": "a b", "extra": "7"}
    tags = run.data.tag_dict
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.source.name"] == str(repo.path.resolve())
    assert tags["mlflow.source.git.commit"] == commit
    assert tags["mlflow.source.git.repoURL"] == "https://example.com/reporter.git"
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.backend"] == "local"
    assert tags["mlflow.project.env"] == "local"
    assert tags["runwell.project.subdirectory"] == "proj"
    assert "mlflow.user" in tags
    assert "mlflow.parentRunId" not in tags and "runwell.project.version" not in tags
    # the child attached to the run through RUNWELL_RUN_ID, with this Python first on PATH
    assert run.data.metric_dict == {"ran": 1.0}
    assert json.loads(tags["child.argv"]) == [
        "--alpha",
        "0.5",
        "--count",
        "3",
        "--name",
        "a b",
        "--extra",
        "7",
    ]
    assert Path(tags["child.python"]).parent == Path(sys.executable).parent
    report = child_report(submitted.run_id)
    assert report["run_id"] == report["env_run_id"] == report["mlflow_run_id"] == run.info.run_id
    assert report["cwd"] == str(repo.path.resolve() / "proj")
    assert logs(submitted.run_id, "stderr.txt") == ""
    assert len(all_runs()) == 1


def test_the_output_streams_to_this_process_too(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = make_project(
        tmp_path / "p",
        None,
        {"hello.py": "import sys\nprint('out!')\nprint('err!', file=sys.stderr)\n"},
    )
    submitted = runwell.projects.run(str(project), entry_point="hello.py")
    out, err = capfd.readouterr()
    assert "out!" in out and "err!" in err
    assert "using --env-manager local" in err  # the one line saying which manager was chosen
    assert logs(submitted.run_id, "stdout.txt") == "out!\n"
    assert logs(submitted.run_id, "stderr.txt") == "err!\n"


def test_shell_scripts_are_entry_points_too(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", None, {"steps.sh": 'echo "got: $*"\n'})
    submitted = runwell.projects.run(str(project), "steps.sh", parameters={"k": "a b"})
    assert logs(submitted.run_id, "stdout.txt") == "got: --k a b\n"
    assert run_of(submitted.run_id).data.tag_dict["mlflow.project.entryPoint"] == "steps.sh"


@pytest.mark.parametrize(
    "value",
    [
        "; touch pwned-semicolon",
        "$(touch pwned-subshell)",
        "`touch pwned-backtick`",
        "' ; touch pwned-quote ; '",
        '" && touch pwned-dquote && "',
        "| touch pwned-pipe",
    ],
)
def test_shell_metacharacters_reach_the_program_literally(tmp_path: Path, value: str) -> None:
    project = reporter_project(tmp_path / "p")
    submitted = runwell.projects.run(str(project), parameters={"name": value, "more": value})
    argv = json.loads(run_of(submitted.run_id).data.tag_dict["child.argv"])
    assert argv[argv.index("--name") + 1] == value
    assert argv[-2:] == ["--more", value]
    assert not list(tmp_path.rglob("pwned*"))
    assert not list(Path.cwd().rglob("pwned*"))


def test_a_failing_command_ends_the_run_failed(tmp_path: Path) -> None:
    project = reporter_project(tmp_path / "p")
    with pytest.raises(ProjectRunFailed) as raised:
        runwell.projects.run(str(project), entry_point="fail")
    failed = raised.value
    assert failed.status == "FAILED"
    assert run_of(failed.run_id).info.status == runwell.RunStatus.FAILED
    assert logs(failed.run_id, "stdout.txt") == "failing\n"

    submitted = runwell.projects.run(str(project), entry_point="fail", synchronous=False)
    assert submitted.wait() is False
    assert submitted.get_status() == "FAILED"


def test_an_asynchronous_run_can_be_cancelled(tmp_path: Path) -> None:
    project = reporter_project(tmp_path / "p")
    marker = tmp_path / "marker"
    marker.mkdir()
    submitted = runwell.projects.run(
        str(project), entry_point="sleep", parameters={"marker": str(marker)}, synchronous=False
    )
    deadline = time.monotonic() + 30
    while not (marker / "started").exists():
        assert time.monotonic() < deadline, "the project did not start"
        time.sleep(0.05)
    assert submitted.get_status() == "RUNNING"
    assert run_of(submitted.run_id).info.status == runwell.RunStatus.RUNNING
    submitted.cancel()
    assert submitted.get_status() == "KILLED"
    assert submitted.wait() is False
    assert run_of(submitted.run_id).info.status == runwell.RunStatus.KILLED
    with pytest.raises(ProcessLookupError):
        os.kill(submitted.pid, 0)
    submitted.cancel()  # a second cancel changes nothing
    assert run_of(submitted.run_id).info.status == runwell.RunStatus.KILLED


def test_runs_launched_inside_a_run_are_nested(tmp_path: Path) -> None:
    project = reporter_project(tmp_path / "p")
    with runwell.start_run() as parent:
        child = runwell.projects.run(str(project), parameters={"name": "x"})
    tags = run_of(child.run_id).data.tag_dict
    assert tags["mlflow.parentRunId"] == parent.info.run_id
    assert run_of(child.run_id).info.experiment_id == parent.info.experiment_id


def test_a_project_can_launch_steps_nested_under_its_own_run(tmp_path: Path) -> None:
    outer = textwrap.dedent(
        """
        import runwell, runwell.projects
        step = runwell.projects.run(".", entry_point="main", parameters={"name": "step"})
        with runwell.start_run():
            runwell.log_param("step_run", step.run_id)
        """
    )
    project = reporter_project(tmp_path / "p")
    (project / "outer.py").write_text(outer)
    submitted = runwell.projects.run(
        str(project), entry_point="outer.py", experiment_name="workflow"
    )
    outer_run = run_of(submitted.run_id)
    step_run = run_of(outer_run.data.param_dict["step_run"])
    assert step_run.data.tag_dict["mlflow.parentRunId"] == submitted.run_id
    assert step_run.data.tag_dict["mlflow.project.entryPoint"] == "main"
    assert step_run.info.experiment_id == outer_run.info.experiment_id
    assert runwell.get_experiment_by_name("workflow") is not None
    assert step_run.info.status == runwell.RunStatus.FINISHED


def test_experiments_are_chosen_by_id_or_name(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", None, {"ok.py": ""})
    experiment_id = runwell.create_experiment("chosen")
    by_id = runwell.projects.run(str(project), "ok.py", experiment_id=experiment_id)
    assert run_of(by_id.run_id).info.experiment_id == experiment_id
    by_name = runwell.projects.run(str(project), "ok.py", experiment_name="made-for-it")
    made = runwell.get_experiment_by_name("made-for-it")
    assert made is not None and run_of(by_name.run_id).info.experiment_id == made.experiment_id
    runwell.set_experiment("active-one")
    active = runwell.projects.run(str(project), "ok.py")
    chosen = runwell.get_experiment_by_name("active-one")
    assert chosen is not None and run_of(active.run_id).info.experiment_id == chosen.experiment_id


def test_git_sources_record_version_branch_and_commit(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    reporter_project(repo.path)
    repo.commit("one")
    repo.branch("dev")
    (repo.path / "report.py").write_text("print('{}')\n")
    dev = repo.commit("dev")
    remote = repo.bare_clone(tmp_path / "remote.git")

    submitted = runwell.projects.run(remote.uri, version="dev", parameters={"name": "x"})
    tags = run_of(submitted.run_id).data.tag_dict
    assert tags["mlflow.source.name"] == tags["mlflow.source.git.repoURL"] == remote.uri
    assert tags["mlflow.source.git.commit"] == dev
    assert tags["mlflow.source.git.branch"] == "dev"
    assert tags["runwell.project.version"] == "dev"
    assert logs(submitted.run_id, "stdout.txt") == "{}\n"


def test_path_parameters_given_as_uris_are_downloaded(tmp_path: Path) -> None:
    client = runwell.RunwellClient()
    with runwell.start_run() as source_run:
        (tmp_path / "data.csv").write_text("a,b\n1,2\n")
        runwell.log_artifact(str(tmp_path / "data.csv"))
    project = make_project(
        tmp_path / "p",
        "entry_points:\n  main:\n    parameters: {data: path}\n"
        "    command: python -c 'import sys; print(open(sys.argv[1]).read())' {data}\n",
        {},
    )
    storage = tmp_path / "storage"
    uri = f"runs:/{source_run.info.run_id}/data.csv"
    submitted = runwell.projects.run(
        str(project), parameters={"data": uri}, storage_dir=str(storage)
    )
    assert logs(submitted.run_id, "stdout.txt") == "a,b\n1,2\n\n"
    assert (storage / "param_0" / "data.csv").read_text() == "a,b\n1,2\n"
    assert client.get_run(submitted.run_id).data.param_dict == {"data": uri}


def _bad_requests(tmp_path: Path) -> list[tuple[dict[str, object], type[RunwellError], str]]:
    project = str(reporter_project(tmp_path / "p"))
    repo = GitRepo.init(tmp_path / "repo")
    reporter_project(repo.path)
    repo.commit("one")
    broken = make_project(tmp_path / "broken", "entry_points: [main]\n", {})
    unbuildable = make_project(
        tmp_path / "unbuildable",
        "python_env: python_env.yaml\nentry_points:\n  main:\n    command: python -V\n",
        {"python_env.yaml": "dependencies: [/nonexistent/tiny-1.0-py3-none-any.whl]\n"},
    )
    ok = {"name": "x"}
    return [
        ({"uri": project, "entry_point": "nope"}, InvalidArgument, "Unknown entry point 'nope'"),
        ({"uri": project}, InvalidArgument, "required parameter(s) 'name'"),
        ({"uri": project, "parameters": {"name": "x", "alpha": "hi"}}, InvalidArgument, "'alpha'"),
        ({"uri": project, "parameters": {"name": "x", "count": "1.5"}}, InvalidArgument, "'count'"),
        ({"uri": str(broken)}, InvalidArgument, "field 'entry_points'"),
        ({"uri": str(tmp_path / "absent")}, NotFound, "No project at"),
        ({"uri": (tmp_path / "absent.git").as_uri()}, NotFound, "Could not clone"),
        ({"uri": repo.uri, "version": "v404", "parameters": ok}, NotFound, "No version 'v404'"),
        ({"uri": project, "parameters": ok, "experiment_id": "404"}, NotFound, "'404'"),
        ({"uri": project, "parameters": ok, "env_manager": "pip"}, InvalidArgument, "'pip'"),
        ({"uri": project, "parameters": ok, "backend": "k8s"}, InvalidArgument, "'k8s'"),
        ({"uri": str(unbuildable)}, InvalidState, "Could not build the virtualenv"),
    ]


def test_bad_requests_fail_before_any_run_is_created(tmp_path: Path) -> None:
    for kwargs, error, message in _bad_requests(tmp_path):
        with pytest.raises(error) as raised:
            runwell.projects.run(**kwargs)  # type: ignore[arg-type]
        assert message in str(raised.value), (kwargs, str(raised.value))
        assert all_runs() == [], kwargs
    assert not list((tmp_path / "envs").glob("*/bin/python"))  # no half-built environment
