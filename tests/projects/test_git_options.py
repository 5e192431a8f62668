"""Project URIs and versions that git would read as options are refused before git runs.

A URI such as ``--upload-pack=touch <marker>`` handed to ``git clone`` would run the command.
Every case here uses a marker file that a command run by git would create: it must stay
absent, no run may be created, and the error must name the field. Real repositories made in
the test show that ordinary local and ``file://`` projects still run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import runwell
from runwell.cli import main
from runwell.errors import InvalidArgument
from runwell.projects import run
from runwell.projects.git_cache import checkout_version
from runwell.projects.reproduce import reproduce
from runwell.projects.sources import fetch_project
from runwell.tracking import context
from tests.projects.builders import GitRepo, all_runs, reporter_project, run_of


@pytest.fixture(autouse=True)
def _project_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_PROJECTS_ROOT", str(tmp_path / "project-cache"))


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    reporter_project(repo.path)
    repo.commit("first")
    repo.tag("v1")
    return repo


def hostile_uris(marker: Path) -> list[str]:
    return [
        f"--upload-pack=touch {marker}",
        f"-utouch {marker}",
        f"-u touch {marker}",
        "-u@x:y",
        f"--config=core.sshCommand=touch {marker}",
        f"  --upload-pack=touch {marker}",
        f"--upload-pack=touch {marker}#sub",
        f"ssh://-oProxyCommand=touch%20{marker}/repo",
        "git@-oProxyCommand:repo.git",
    ]


def hostile_versions(marker: Path) -> list[str]:
    return [f"--upload-pack=touch {marker}", f"--output={marker}", "-b", "-"]


def test_uris_starting_with_a_dash_are_refused_naming_the_field(marker: Path) -> None:
    for uri in hostile_uris(marker):
        with pytest.raises(InvalidArgument, match=r"Invalid uri '.*': it starts with '-'|host"):
            fetch_project(uri)
        with pytest.raises(InvalidArgument, match="Invalid uri"):
            run(uri, env_manager="local", parameters={"name": "x"})
    assert not marker.exists()
    assert all_runs() == []


def test_versions_starting_with_a_dash_are_refused_naming_the_field(
    repo: GitRepo, marker: Path
) -> None:
    for version in hostile_versions(marker):
        for uri in (repo.uri, str(repo.path)):
            with pytest.raises(InvalidArgument, match=r"Invalid version '.*': it starts with '-'"):
                fetch_project(uri, version=version)
    assert not marker.exists()
    assert all_runs() == []


def test_the_clone_cache_refuses_options_itself(repo: GitRepo, marker: Path) -> None:
    with pytest.raises(InvalidArgument, match="Invalid uri"):
        checkout_version(f"--upload-pack=touch {marker}", None)
    with pytest.raises(InvalidArgument, match="Invalid version"):
        checkout_version(repo.uri, f"--upload-pack=touch {marker}")
    assert not marker.exists()


def test_runwell_run_refuses_a_hostile_uri_with_a_clear_message(marker: Path) -> None:
    tracking = os.environ["RUNWELL_TRACKING_URI"]
    for uri in hostile_uris(marker)[:3]:
        result = CliRunner().invoke(
            main, ["--tracking-uri", tracking, "run", "--env-manager", "local", "--", uri]
        )
        assert result.exit_code != 0
        assert "Invalid uri" in result.output + result.stderr, result.output
        assert "starts with '-'" in result.output + result.stderr
    assert not marker.exists()
    assert all_runs() == []


def test_reproduce_refuses_a_run_whose_recorded_repository_is_an_option(
    repo: GitRepo, marker: Path
) -> None:
    """The recorded repository URL is a tag anyone with EDIT on the run could have set."""
    client = runwell.RunwellClient()
    experiment = client.create_experiment("hostile")
    created = client.create_run(experiment)
    for key, value in {
        context.SOURCE_TYPE: "PROJECT",
        context.SOURCE_NAME: "https://example.invalid/gone.git",
        context.GIT_COMMIT: repo.head(),
        context.GIT_REPO_URL: f"--upload-pack=touch {marker}",
    }.items():
        client.set_tag(created.info.run_id, key, value)
    with pytest.raises(InvalidArgument, match="Invalid uri '--upload-pack"):
        reproduce(created.info.run_id)
    assert not marker.exists()
    assert [r.info.run_id for r in all_runs()] == [created.info.run_id]


def test_ordinary_local_and_file_uri_projects_still_run(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_place = run(str(repo.path), env_manager="local", parameters={"name": "a"})
    assert run_of(in_place.run_id).data.tag_dict[context.GIT_COMMIT] == repo.head()
    cloned = run(repo.uri, version="v1", env_manager="local", parameters={"name": "b"})
    tags = run_of(cloned.run_id).data.tag_dict
    assert tags[context.GIT_COMMIT] == repo.head()
    assert tags[context.GIT_REPO_URL] == repo.uri
    # a directory whose name starts with '-' is reached as ./-name
    odd = reporter_project(tmp_path / "-odd")
    monkeypatch.chdir(tmp_path)
    by_relative_path = run("./-odd", env_manager="local", parameters={"name": "c"})
    assert run_of(by_relative_path.run_id).info.status.name == "FINISHED"
    assert odd.is_dir()
