"""Builders for the project tests: project directories and real git repositories.

project = make_project(tmp_path / "p", MLPROJECT, {"train.py": TRAIN})
repo = GitRepo.init(tmp_path / "repo"); repo.commit("first"); repo.tag("v1")
remote = repo.bare_clone(tmp_path / "remote.git")          # file:// URI in remote.uri
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import runwell

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

# A script that prints what it was given and logs into the run it was launched for.
REPORTER = textwrap.dedent(
    """
    import json, os, sys
    import runwell
    with runwell.start_run() as run:
        runwell.log_metric("ran", 1.0)
        runwell.set_tag("child.argv", json.dumps(sys.argv[1:]))
        runwell.set_tag("child.python", sys.executable)
    print(json.dumps({"argv": sys.argv[1:], "run_id": run.info.run_id,
                      "env_run_id": os.environ.get("RUNWELL_RUN_ID"),
                      "mlflow_run_id": os.environ.get("MLFLOW_RUN_ID"),
                      "cwd": os.getcwd()}))
    """
)

MLPROJECT = textwrap.dedent(
    """
    name: reporter
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.5}
          count: {type: int, default: 3}
          name: string
        command: "python report.py --alpha {alpha} --count {count} --name {name}"
      fail:
        command: "python -c 'import sys; print(\\"failing\\"); sys.exit(3)'"
      sleep:
        parameters:
          marker: path
        command: "python sleep.py {marker}"
    """
)

SLEEP = textwrap.dedent(
    """
    import pathlib, sys, time
    pathlib.Path(sys.argv[1], "started").write_text("yes")
    time.sleep(60)
    """
)


def make_project(directory: Path, mlproject: str | None, files: Mapping[str, str]) -> Path:
    """A project directory: the MLproject text (None: no file) and the other files."""
    directory.mkdir(parents=True, exist_ok=True)
    if mlproject is not None:
        (directory / "MLproject").write_text(mlproject, encoding="utf-8")
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def reporter_project(directory: Path) -> Path:
    """The project of MLPROJECT: report.py, sleep.py."""
    return make_project(directory, MLPROJECT, {"report.py": REPORTER, "sleep.py": SLEEP})


def git(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@dataclass
class GitRepo:
    """A real git repository with a work tree, on branch main."""

    path: Path

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        git(["init", "-q", "-b", "main"], path)
        return cls(path)

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    def write(self, files: Mapping[str, str]) -> None:
        make_project(self.path, None, files)

    def commit(self, message: str) -> str:
        git(["add", "-A"], self.path)
        git(["commit", "-q", "-m", message], self.path)
        return self.head()

    def head(self) -> str:
        return git(["rev-parse", "HEAD"], self.path)

    def tag(self, name: str) -> None:
        git(["tag", name], self.path)

    def branch(self, name: str) -> None:
        git(["checkout", "-q", "-b", name], self.path)

    def checkout(self, name: str) -> None:
        git(["checkout", "-q", name], self.path)

    def bare_clone(self, path: Path) -> GitRepo:
        git(["clone", "-q", "--bare", str(self.path), str(path)], self.path.parent)
        return GitRepo(path)


def run_of(run_id: str) -> runwell.Run:
    return runwell.RunwellClient().get_run(run_id)


def all_runs() -> list[runwell.Run]:
    """Every run of every experiment, deleted ones included."""
    client = runwell.RunwellClient()
    experiments = client.search_experiments(runwell.ViewType.ALL, max_results=1000).items
    ids = [e.experiment_id for e in experiments]
    return list(client.search_runs(ids, run_view_type=runwell.ViewType.ALL).items)
