"""Run context captured by start_run: real git repositories made here, a folder outside git,
the installed packages of this interpreter, and the opt-outs."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import threading
from importlib import metadata
from pathlib import Path

import pytest

import runwell
from runwell.tracking.context_files import MAX_DIFF_BYTES, git_diff
from tests.projects.builders import GitRepo, git

DIFF = "runwell-context/git-diff.patch"
REQUIREMENTS = "runwell-context/requirements.txt"


@pytest.fixture(autouse=True)
def _capture_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything on, whatever the shared fixtures turn off for the other tests."""
    for item in ("CONTEXT", "GIT", "GIT_DIFF", "REQUIREMENTS"):
        monkeypatch.setenv(f"RUNWELL_CAPTURE_{item}", "true")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A committed repository with a remote, and a script in it as the program being run."""
    made = GitRepo.init(tmp_path / "repo")
    made.write({"train.py": "print('train')\n", "data/notes.txt": "one\ntwo\n"})
    made.commit("first")
    git(["remote", "add", "origin", "https://example.com/team/repo.git"], made.path)
    monkeypatch.setattr(sys, "argv", [str(made.path / "train.py"), "--lr", "0.1"])
    return made


def _finished_run() -> runwell.Run:
    with runwell.start_run() as run:
        pass
    return runwell.get_run(run.info.run_id)


def _files(run: runwell.Run) -> set[str]:
    client = runwell.RunwellClient()
    return {f.path for f in client.list_artifacts(run.info.run_id, "runwell-context")}


def _read(run: runwell.Run, path: str, tmp_path: Path) -> bytes:
    local = runwell.RunwellClient().download_artifacts(run.info.run_id, path, str(tmp_path))
    return Path(local).read_bytes()


def test_clean_repository_gives_commit_branch_remote_and_a_clean_flag(repo: GitRepo) -> None:
    run = _finished_run()
    tags = run.data.tag_dict
    assert tags["mlflow.source.git.commit"] == repo.head()
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://example.com/team/repo.git"
    assert tags["mlflow.source.git.dirty"] == "false"
    assert tags["mlflow.source.name"] == str(repo.path / "train.py")
    assert _files(run) == {REQUIREMENTS}


def test_dirty_repository_saves_the_diff_against_head(repo: GitRepo, tmp_path: Path) -> None:
    repo.write({"train.py": "print('train harder')\n"})  # unstaged
    repo.write({"data/notes.txt": "one\ntwo\nthree\n"})
    git(["add", "data/notes.txt"], repo.path)  # staged
    repo.write({"scratch.txt": "untracked\n"})
    run = _finished_run()
    assert run.data.tag_dict["mlflow.source.git.dirty"] == "true"
    assert "runwell.source.git.diffTruncated" not in run.data.tag_dict
    patch = _read(run, DIFF, tmp_path / "out")
    assert patch.decode() == git(["diff", "HEAD"], repo.path) + "\n"
    assert b"+print('train harder')" in patch and b"+three" in patch
    assert b"scratch.txt" not in patch  # untracked files are not part of the diff
    applied = tmp_path / "clone"
    git(["clone", "-q", str(repo.path), str(applied)], tmp_path)
    (tmp_path / "p.patch").write_bytes(patch)
    git(["apply", str(tmp_path / "p.patch")], applied)
    assert (applied / "train.py").read_text() == "print('train harder')\n"


def test_a_diff_over_the_limit_is_cut_on_a_line_and_says_so(repo: GitRepo, tmp_path: Path) -> None:
    lines = 40_000  # 2 x 40,000 changed lines of ~20 bytes: about 1.6 MB of diff
    repo.write({"big.txt": "".join(f"line {i:012d}\n" for i in range(lines))})
    repo.commit("big")
    repo.write({"big.txt": "".join(f"LINE {i:012d}\n" for i in range(lines))})
    run = _finished_run()
    assert run.data.tag_dict["runwell.source.git.diffTruncated"] == "true"
    patch = _read(run, DIFF, tmp_path / "out")
    body, _, note = patch.rstrip(b"\n").rpartition(b"\n")
    assert note.startswith(b"# runwell: diff cut at") and str(MAX_DIFF_BYTES).encode() in note
    assert len(body) < MAX_DIFF_BYTES and body.startswith(b"diff --git a/big.txt")
    full = subprocess.run(["git", "diff", "HEAD"], cwd=repo.path, capture_output=True).stdout
    assert full.startswith(body + b"\n")


def test_git_diff_limit_and_failures(repo: GitRepo, tmp_path: Path) -> None:
    assert git_diff(repo.path) == (b"", False)
    repo.write({"train.py": "x = 1\n" * 100})
    cut = git_diff(repo.path, limit=300)
    assert cut is not None and cut[1] is True
    assert cut[0].count(b"\n# runwell: diff cut at") == 1
    empty = tmp_path / "empty"
    GitRepo.init(empty)
    assert git_diff(empty) is None  # no commit to compare with


def test_outside_git_there_are_no_git_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "plain" / "train.py"
    script.parent.mkdir()
    monkeypatch.setattr(sys, "argv", [str(script)])
    run = _finished_run()
    tags = run.data.tag_dict
    assert not [k for k in tags if k.startswith("mlflow.source.git")]
    assert tags["mlflow.source.name"] == str(script)
    assert tags["runwell.host"] == socket.gethostname()
    assert tags["runwell.python.version"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert tags["runwell.source.command"] == shlex.join(sys.orig_argv)
    assert tags["mlflow.user"]
    assert _files(run) == {REQUIREMENTS}


def test_requirements_pin_every_installed_package(repo: GitRepo, tmp_path: Path) -> None:
    text = _read(_finished_run(), REQUIREMENTS, tmp_path / "out").decode()
    lines = text.splitlines()
    assert f"pytest=={metadata.version('pytest')}" in lines
    assert f"psutil=={metadata.version('psutil')}" in lines
    assert all(line.count("==") == 1 for line in lines)
    assert lines == sorted(lines, key=lambda line: line.split("==")[0].lower().replace("_", "-"))


def test_opting_out_keeps_only_mlflow_user_and_source_tags(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_CAPTURE_CONTEXT", "false")
    repo.write({"train.py": "changed\n"})
    with runwell.start_run() as active:
        assert not [t for t in threading.enumerate() if t.name == "runwell-context"]
    run = runwell.get_run(active.info.run_id)
    assert set(run.data.tag_dict) == {
        "mlflow.user",
        "mlflow.source.name",
        "mlflow.source.type",
        "mlflow.runName",
    }
    assert _files(run) == set()


@pytest.mark.parametrize(
    ("variable", "tag_expected", "files"),
    [
        ("RUNWELL_CAPTURE_GIT", False, {REQUIREMENTS}),
        ("RUNWELL_CAPTURE_GIT_DIFF", True, {REQUIREMENTS}),
        ("RUNWELL_CAPTURE_REQUIREMENTS", True, {DIFF}),
    ],
)
def test_each_item_can_be_turned_off(
    repo: GitRepo,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    tag_expected: bool,
    files: set[str],
) -> None:
    monkeypatch.setenv(variable, "false")
    repo.write({"train.py": "changed\n"})
    run = _finished_run()
    assert ("mlflow.source.git.dirty" in run.data.tag_dict) is tag_expected
    assert _files(run) == files


def test_nested_and_resumed_runs_keep_their_tags_but_capture_no_files(repo: GitRepo) -> None:
    repo.write({"train.py": "changed\n"})
    with runwell.start_run() as parent:
        with runwell.start_run(nested=True) as child:
            pass
    with runwell.start_run(run_id=parent.info.run_id):
        pass
    client = runwell.RunwellClient()
    assert [f.path for f in client.list_artifacts(child.info.run_id)] == []
    assert runwell.get_run(child.info.run_id).data.tag_dict["mlflow.source.git.commit"]
    assert _files(runwell.get_run(parent.info.run_id)) == {DIFF, REQUIREMENTS}


def test_tags_given_to_start_run_win_over_captured_ones(repo: GitRepo) -> None:
    with runwell.start_run(tags={"mlflow.source.name": "notebook", "runwell.host": "n1"}) as r:
        pass
    tags = runwell.get_run(r.info.run_id).data.tag_dict
    assert (tags["mlflow.source.name"], tags["runwell.host"]) == ("notebook", "n1")


def test_a_failed_capture_is_a_warning_and_the_run_still_finishes(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the artifact root should be")
    monkeypatch.setenv("RUNWELL_ARTIFACT_ROOT", str(blocker))
    monkeypatch.setenv("RUNWELL_TRACKING_URI", f"sqlite:///{tmp_path}/other.db")
    with runwell.start_run() as run:
        pass
    assert runwell.get_run(run.info.run_id).info.status is runwell.RunStatus.FINISHED
    assert any("installed packages" in r.getMessage() for r in caplog.records)


def test_credential_options_are_redacted_from_the_recorded_command() -> None:
    from runwell.tracking.context import redacted_argv

    argv = ["python", "train.py", "--password=hunter2", "--api-key", "k-123", "--lr", "0.1"]
    argv += ["--db-token", "--verbose", "--AUTH_HEADER=Bearer x", "--secret", "s"]
    assert redacted_argv(argv) == [
        "python", "train.py", "--password=***", "--api-key", "***", "--lr", "0.1",
        "--db-token", "--verbose", "--AUTH_HEADER=***", "--secret", "***",
    ]  # fmt: skip


def test_git_facts_read_from_files_match_what_git_says(tmp_path: Path) -> None:
    import subprocess

    from runwell.tracking.context import _git_tags_from_files

    def git(*args: str, cwd: Path = tmp_path / "repo") -> str:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "trunk")
    assert _git_tags_from_files(repo) is None  # no commit yet: git itself is asked
    (repo / "a.txt").write_text("a")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    git("remote", "add", "origin", "https://example.com/team/repo.git")
    git("remote", "add", "other", "https://example.com/other.git")
    head = git("rev-parse", "HEAD")
    expected = {
        "mlflow.source.git.commit": head,
        "mlflow.source.git.branch": "trunk",
        "mlflow.source.git.repoURL": "https://example.com/team/repo.git",
    }
    (repo / "sub").mkdir()
    assert _git_tags_from_files(repo / "sub") == expected
    git("pack-refs", "--all")  # the branch now lives in packed-refs only
    assert _git_tags_from_files(repo) == expected
    git("worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    assert _git_tags_from_files(tmp_path / "wt") == {**expected, "mlflow.source.git.branch": "side"}
    git("checkout", "-q", "--detach")
    detached = _git_tags_from_files(repo)
    assert detached == {k: v for k, v in expected.items() if k != "mlflow.source.git.branch"}
