"""``runwell runs reproduce`` / ``reproduce()``: the same commit, entry point, params and env.

Every test makes real git repositories (and a bare "remote") in its temporary directory, runs
the project for real in a subprocess (``--env-manager local``) against the per-test SQLite
store, changes the code, and checks that the reproduction ran the old code.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import runwell
from runwell.cli import main
from runwell.entities import RunStatus
from runwell.errors import InvalidArgument, NotFound
from runwell.projects import ProjectRunFailed, run
from runwell.projects.reproduce import REPRODUCED_FROM_TAG, reproduce
from tests.projects.builders import GitRepo, all_runs, git, make_project, run_of

MLPROJECT = textwrap.dedent(
    """
    name: versioned
    entry_points:
      main:
        parameters:
          greeting: {type: string, default: hello}
          times: {type: int, default: 1}
        command: "python step.py {greeting} {times}"
      other:
        parameters:
          word: string
        command: "python step.py other {word}"
      fail:
        command: "python -c 'import sys; sys.exit(4)'"
    """
)


def step_script(code: str) -> str:
    """A program that records which version of the code ran, and with what arguments."""
    return textwrap.dedent(
        f"""
        import json, sys
        import runwell
        with runwell.start_run():
            runwell.set_tag("code", {code!r})
            runwell.set_tag("argv", json.dumps(sys.argv[1:]))
            runwell.log_param("logged_by_program", "yes")
        """
    )


def project_files(code: str) -> dict[str, str]:
    return {"MLproject": MLPROJECT, "step.py": step_script(code)}


@pytest.fixture(autouse=True)
def _project_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git checkouts go to this test's directory, not ~/.runwell/projects."""
    monkeypatch.setenv("RUNWELL_PROJECTS_ROOT", str(tmp_path / "project-cache"))


def make_repo(path: Path, code: str = "v1", subdirectory: str = "") -> GitRepo:
    repo = GitRepo.init(path)
    prefix = f"{subdirectory}/" if subdirectory else ""
    repo.write({prefix + name: text for name, text in project_files(code).items()})
    repo.commit(code)
    return repo


def change_code(repo: GitRepo, code: str, subdirectory: str = "") -> str:
    prefix = f"{subdirectory}/" if subdirectory else ""
    repo.write({prefix + "step.py": step_script(code)})
    return repo.commit(code)


def test_reproduce_runs_the_recorded_commit_of_a_local_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "repo")
    first_commit = repo.head()
    greeting = "hi there; rm -rf x $(touch pwned)"
    original = run(str(repo.path), parameters={"greeting": greeting}, env_manager="local")
    change_code(repo, "v2")
    assert run_of(run(str(repo.path), env_manager="local").run_id).data.tag_dict["code"] == "v2"
    capsys.readouterr()

    again = reproduce(original.run_id)

    assert again.get_status() == "FINISHED"
    new = run_of(again.run_id)
    old = run_of(original.run_id)
    tags = new.data.tag_dict
    assert tags["code"] == "v1"
    assert json.loads(tags["argv"]) == [greeting, "1"]
    assert tags[REPRODUCED_FROM_TAG] == original.run_id
    assert tags["mlflow.source.git.commit"] == first_commit
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.env"] == "local"
    assert new.data.param_dict == old.data.param_dict
    assert new.info.experiment_id == old.info.experiment_id
    assert not (tmp_path / "pwned").exists()
    # The param the program logged is not an entry-point parameter: left out, and said so.
    assert "logged_by_program" in capsys.readouterr().err


def test_reproduce_passes_extra_parameters_again_but_not_program_logged_params(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "repo")
    original = run(str(repo.path), parameters={"seed": "7"}, env_manager="local")
    old = run_of(original.run_id)
    assert json.loads(old.data.tag_dict["argv"]) == ["hello", "1", "--seed", "7"]
    assert json.loads(old.data.tag_dict["runwell.project.extraParams"]) == ["seed"]
    capsys.readouterr()

    new = run_of(reproduce(original.run_id).run_id)

    assert json.loads(new.data.tag_dict["argv"]) == ["hello", "1", "--seed", "7"]
    assert new.data.param_dict == old.data.param_dict
    err = capsys.readouterr().err
    assert "params logged_by_program are not" in err


def test_reproduce_checks_out_the_commit_from_a_git_uri_with_a_subdirectory(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", subdirectory="proj")
    first_commit = repo.head()
    remote = repo.bare_clone(tmp_path / "remote.git")
    original = run(
        f"{remote.uri}#proj",
        entry_point="other",
        version="main",
        parameters={"word": "first"},
        env_manager="local",
    )
    change_code(repo, "v2", subdirectory="proj")
    git(["push", "-q", str(remote.path), "main"], repo.path)

    again = reproduce(original.run_id, experiment_name="reproductions", run_name="again")

    new = run_of(again.run_id)
    tags = new.data.tag_dict
    assert tags["code"] == "v1"
    assert json.loads(tags["argv"]) == ["other", "first"]
    assert tags["mlflow.source.git.commit"] == first_commit
    assert tags["mlflow.source.git.repoURL"] == remote.uri
    assert tags["runwell.project.subdirectory"] == "proj"
    assert tags["mlflow.project.entryPoint"] == "other"
    assert new.info.run_name == "again"
    experiment = runwell.get_experiment_by_name("reproductions")
    assert experiment is not None and new.info.experiment_id == experiment.experiment_id


def test_reproduce_a_project_in_a_subdirectory_of_a_local_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", subdirectory="nested/proj")
    original = run(str(repo.path / "nested" / "proj"), env_manager="local")
    change_code(repo, "v2", subdirectory="nested/proj")

    again = reproduce(original.run_id)

    tags = run_of(again.run_id).data.tag_dict
    assert tags["code"] == "v1"
    assert tags["runwell.project.subdirectory"] == "nested/proj"


def test_reproduce_a_directory_without_git_runs_it_as_it_is_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "plain", None, project_files("v1"))
    original = run(str(project), parameters={"times": "3"}, env_manager="local")
    (project / "step.py").write_text(step_script("v2"))
    capsys.readouterr()

    again = reproduce(original.run_id)

    tags = run_of(again.run_id).data.tag_dict
    assert tags["code"] == "v2"
    assert json.loads(tags["argv"]) == ["hello", "3"]
    assert "not a git repository" in capsys.readouterr().err


def test_reproduce_rejects_a_run_that_did_not_come_from_a_project() -> None:
    with runwell.start_run() as plain:
        runwell.log_param("alpha", "0.5")
    with pytest.raises(InvalidArgument, match=r"did not come from a project.*'LOCAL'") as info:
        reproduce(plain.info.run_id)
    assert plain.info.run_id in str(info.value)
    assert [r.info.run_id for r in all_runs()] == [plain.info.run_id]


def test_reproduce_an_unknown_run_is_not_found() -> None:
    with pytest.raises(NotFound):
        reproduce("0" * 32)


def test_reproduce_a_run_whose_source_is_gone_fails_before_any_run(tmp_path: Path) -> None:
    project = make_project(tmp_path / "gone", None, project_files("v1"))
    original = run(str(project), env_manager="local")
    shutil.rmtree(project)
    with pytest.raises(NotFound, match=r"is gone: '.*gone' is no longer a directory"):
        reproduce(original.run_id)
    assert [r.info.run_id for r in all_runs()] == [original.run_id]


def test_reproduce_a_run_whose_commit_is_gone_fails_before_any_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    original = run(str(repo.path), env_manager="local")
    shutil.rmtree(repo.path / ".git")  # the history is lost; a new one starts
    make_repo(repo.path, "v2")
    with pytest.raises(NotFound, match=r"No version '[0-9a-f]{40}'"):
        reproduce(original.run_id)
    assert [r.info.run_id for r in all_runs()] == [original.run_id]


def test_reproduce_a_failed_run_fails_again_into_a_tagged_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    with pytest.raises(ProjectRunFailed) as first:
        run(str(repo.path), entry_point="fail", env_manager="local")
    with pytest.raises(ProjectRunFailed) as second:
        reproduce(first.value.run_id)
    new = run_of(second.value.run_id)
    assert new.info.status is RunStatus.FAILED
    assert new.data.tag_dict[REPRODUCED_FROM_TAG] == first.value.run_id


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_reproduce_prints_the_new_run_and_exits_0(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    original = run(str(repo.path), parameters={"greeting": "hey"}, env_manager="local")
    change_code(repo, "v2")

    code, _, err = _cli("runs", "reproduce", original.run_id, "--experiment-name", "again")

    assert code == 0, err
    [new] = [r for r in all_runs() if r.data.tag_dict.get(REPRODUCED_FROM_TAG)]
    assert f"Run {new.info.run_id} FINISHED: reproduces run {original.run_id}" in err
    assert new.data.tag_dict["code"] == "v1"
    assert new.data.param_dict["greeting"] == "hey"


def test_cli_reproduce_explains_why_a_run_cannot_be_reproduced() -> None:
    with runwell.start_run() as plain:
        pass
    code, _, err = _cli("runs", "reproduce", plain.info.run_id)
    assert code == 1
    assert "Error: Run" in err and "did not come from a project" in err
    code, _, err = _cli("runs", "reproduce", "f" * 32)
    assert code == 3
    assert f"no run with id '{'f' * 32}'" in err
