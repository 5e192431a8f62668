"""Project sources: local directories and real git repositories (made here), the clone cache."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runwell.errors import InvalidArgument, NotFound
from runwell.projects.git_cache import projects_root
from runwell.projects.sources import fetch_project, is_git_uri, split_uri
from tests.projects.builders import GitRepo, git


@pytest.fixture(autouse=True)
def projects_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "projects-cache"
    monkeypatch.setenv("RUNWELL_PROJECTS_ROOT", str(root))
    return root


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """main: v1 (tag) -> second; branch feature: one commit more; project in sub/."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.write({"sub/MLproject": "name: one\n", "README": "first\n"})
    repo.commit("first")
    repo.tag("v1")
    repo.write({"sub/MLproject": "name: two\n"})
    repo.commit("second")
    repo.branch("feature")
    repo.write({"sub/MLproject": "name: feature\n"})
    repo.commit("feature")
    repo.checkout("main")
    return repo


def test_split_uri_takes_the_subdirectory() -> None:
    assert split_uri("https://h/r.git#a/b") == ("https://h/r.git", "a/b")
    assert split_uri("./p") == ("./p", None)
    for bad in ("x#../up", "x#/abs", "x#a/./b"):
        with pytest.raises(InvalidArgument, match="Invalid project subdirectory"):
            split_uri(bad)


def test_git_uris_are_recognised(repo: GitRepo, tmp_path: Path) -> None:
    assert is_git_uri("https://github.com/org/repo")
    assert is_git_uri("git@github.com:org/repo.git")
    assert is_git_uri("ssh://git@host/repo")
    assert is_git_uri(repo.uri)
    (tmp_path / "plain").mkdir()
    assert not is_git_uri((tmp_path / "plain").as_uri())
    assert not is_git_uri("./relative/dir")


def test_projects_root_defaults_to_the_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNWELL_PROJECTS_ROOT")
    assert projects_root() == Path.home() / ".runwell" / "projects"


def test_a_local_directory_runs_in_place_and_records_head(repo: GitRepo) -> None:
    git(["remote", "add", "origin", "https://example.com/org/repo.git"], repo.path)
    source = fetch_project(str(repo.path) + "#sub")
    assert source.directory == repo.path.resolve() / "sub"
    assert source.source_name == str(repo.path.resolve())
    assert source.commit == repo.head()
    assert source.repo_url == "https://example.com/org/repo.git"
    assert (source.subdirectory, source.version, source.branch) == ("sub", None, None)


def test_a_plain_directory_has_no_commit(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    source = fetch_project(str(tmp_path / "plain"))
    assert (source.commit, source.repo_url) == (None, None)
    with pytest.raises(InvalidArgument, match="needs a git repository"):
        fetch_project(str(tmp_path / "plain"), version="main")


def test_git_versions_are_checked_out_read_only(repo: GitRepo, projects_cache: Path) -> None:
    remote = repo.bare_clone(repo.path.parent / "remote.git")
    tip = git(["rev-parse", "main"], repo.path)
    first = git(["rev-parse", "v1"], repo.path)
    feature = git(["rev-parse", "feature"], repo.path)

    default = fetch_project(remote.uri + "#sub")
    assert default.commit == tip
    assert (default.directory / "MLproject").read_text() == "name: two\n"
    assert default.source_name == default.repo_url == remote.uri
    assert default.branch is None

    tagged = fetch_project(remote.uri + "#sub", version="v1")
    assert tagged.commit == first
    assert (tagged.directory / "MLproject").read_text() == "name: one\n"
    assert (tagged.version, tagged.branch, tagged.subdirectory) == ("v1", None, "sub")

    branch = fetch_project(remote.uri, version="feature")
    assert (branch.commit, branch.branch) == (feature, "feature")

    by_sha = fetch_project(remote.uri, version=first[:10])
    assert by_sha.commit == first
    # one checkout per commit, under the cache root, read-only, and a working git clone
    assert by_sha.directory == tagged.directory.parent
    assert by_sha.directory.is_relative_to(projects_cache)
    assert not by_sha.directory.stat().st_mode & stat.S_IWUSR
    assert not (by_sha.directory / "README").stat().st_mode & stat.S_IWUSR
    assert git(["rev-parse", "HEAD"], by_sha.directory) == first
    assert git(["config", "--get", "remote.origin.url"], by_sha.directory) == remote.uri
    assert len(list((projects_cache / "repos").iterdir())) == 1


def test_new_commits_are_fetched_and_old_checkouts_kept(repo: GitRepo) -> None:
    remote = repo.bare_clone(repo.path.parent / "remote.git")
    before = fetch_project(remote.uri)
    repo.write({"new.txt": "x"})
    new_commit = repo.commit("third")
    git(["push", "-q", str(remote.path), "main"], repo.path)
    after = fetch_project(remote.uri)
    assert after.commit == new_commit
    assert (after.directory / "new.txt").exists()
    assert before.directory.is_dir() and not (before.directory / "new.txt").exists()
    # a full commit id already in the cache needs no fetch: it works with the remote gone
    os.rename(remote.path, remote.path.with_name("gone.git"))
    assert fetch_project(remote.uri, version=new_commit).directory == after.directory


def test_a_local_repository_with_a_version_is_checked_out_through_the_cache(
    repo: GitRepo, projects_cache: Path
) -> None:
    source = fetch_project(str(repo.path) + "#sub", version="feature")
    assert source.directory.is_relative_to(projects_cache)
    assert (source.directory / "MLproject").read_text() == "name: feature\n"
    assert source.source_name == str(repo.path.resolve())
    assert (source.branch, source.subdirectory) == ("feature", "sub")
    assert (repo.path / "sub" / "MLproject").read_text() == "name: two\n"  # untouched


def test_missing_repositories_versions_and_directories_are_not_found(
    repo: GitRepo, tmp_path: Path, projects_cache: Path
) -> None:
    with pytest.raises(NotFound, match="Could not clone the git repository 'http://"):
        fetch_project("http://127.0.0.1:1/nowhere.git")
    with pytest.raises(NotFound, match="Could not clone the git repository 'file://"):
        fetch_project((tmp_path / "nowhere.git").as_uri())
    with pytest.raises(NotFound, match="No project at"):
        fetch_project(str(tmp_path / "nowhere"))
    with pytest.raises(NotFound, match="No version 'v9' in the git repository"):
        fetch_project(repo.uri, version="v9")
    with pytest.raises(NotFound, match="No subdirectory 'nope'"):
        fetch_project(repo.uri + "#nope")
    with pytest.raises(InvalidArgument, match="Invalid version '--upload-pack=x'"):
        fetch_project(repo.uri, version="--upload-pack=x")
    with pytest.raises(NotFound, match="Could not clone the git repository 'ssh://"):
        fetch_project("ssh://nobody@127.0.0.1:1/none.git")
    # nothing half-made is left in the cache
    assert not list((projects_cache / "repos").glob("nowhere*"))
    assert not list((projects_cache / "repos").glob(".*"))
