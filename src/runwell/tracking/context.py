"""System tags describing where a run comes from: user, source file, git commit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from runwell import env

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
PARENT_RUN_ID = "mlflow.parentRunId"
RUN_NAME = "mlflow.runName"
NOTE = "mlflow.note.content"


def _git(args: list[str], cwd: Path) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def source_name() -> str:
    main = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if main in ("", "-", "-c", "-m"):
        return "<console>"
    return str(Path(main).resolve())


def default_tags() -> dict[str, str]:
    """Tags every new run of this process gets, unless the caller set them."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    tags = {USER: user, SOURCE_NAME: source_name(), SOURCE_TYPE: "LOCAL"}
    if env.flag(env.CAPTURE_GIT, True):
        main = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-", "-c", "-m") else ""
        directory = Path(main).resolve().parent if main else Path(os.getcwd())
        commit = _git(["rev-parse", "HEAD"], directory) if directory.is_dir() else None
        if commit:
            tags[GIT_COMMIT] = commit
            branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], directory)
            if branch and branch != "HEAD":
                tags[GIT_BRANCH] = branch
            remote = _git(["config", "--get", "remote.origin.url"], directory)
            if remote:
                tags[GIT_REPO_URL] = remote
    return tags
