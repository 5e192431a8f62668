"""System tags describing where a new run comes from, set by ``start_run``.

MLflow's keys where MLflow has one (``mlflow.user``, ``mlflow.source.name``/``type``,
``mlflow.source.git.commit``/``branch``/``repoURL``/``dirty``), ``runwell.*`` otherwise (the
command line, the Python version, the host). What costs more than a file lookup (whether
the tree is dirty, the diff, the installed packages) is captured in the background by
``context_files``; this module is the synchronous part, kept to well under a millisecond
outside git (no subprocess, no import of subprocess, socket or platform).

Opt-outs: RUNWELL_CAPTURE_CONTEXT=false keeps only MLflow's user and source tags;
RUNWELL_CAPTURE_GIT=false leaves out every git item.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from runwell import env
from runwell.store.validation import MAX_TAG_VALUE_LENGTH

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_DIRTY = "mlflow.source.git.dirty"
PARENT_RUN_ID = "mlflow.parentRunId"
RUN_NAME = "mlflow.runName"
NOTE = "mlflow.note.content"
SOURCE_COMMAND = "runwell.source.command"
PYTHON_VERSION = "runwell.python.version"
HOST = "runwell.host"


def _git(args: list[str], cwd: Path) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _main_script() -> str:
    main = sys.argv[0] if sys.argv and sys.argv[0] else ""
    return "" if main in ("", "-", "-c", "-m") else main


def source_name() -> str:
    main = _main_script()
    return str(Path(main).resolve()) if main else "<console>"


def git_directory() -> Path | None:
    """Where the run's source lives (the script's folder, else the working directory), when
    that is inside a git work tree; found by looking for ``.git`` upwards, without git."""
    main = _main_script()
    start = Path(main).resolve().parent if main else Path(os.getcwd())
    if os.environ.get("GIT_DIR"):
        return start if start.is_dir() else None
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return start if start.is_dir() else None
    return None


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _host() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket  # Windows has no uname

    return socket.gethostname()


# Options whose values are credentials: their values never reach a tag.
_SECRET_OPTION = re.compile(
    r"(?i)^--?[\w.-]*(pass(word)?|secret|token|api[_-]?key|credential|auth)"
)
REDACTED = "***"


def redacted_argv(argv: list[str]) -> list[str]:
    """``argv`` with the values of credential-like options replaced by ``***``.

    ``--password=x`` and ``--api-key x`` become ``--password=***`` and ``--api-key ***``.
    """
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next and not arg.startswith("-"):
            shown.append(REDACTED)
            hide_next = False
            continue
        hide_next = False
        if _SECRET_OPTION.match(arg):
            option, equals, _value = arg.partition("=")
            if equals:
                shown.append(f"{option}={REDACTED}")
                continue
            hide_next = True
        shown.append(arg)
    return shown


def _command() -> str:
    import shlex

    # orig_argv is the command line as the interpreter got it (``python -m pkg --flag``).
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    return shlex.join(redacted_argv(argv))


_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_ORIGIN_URL = re.compile(r'^\[remote "origin"\]\s*$(?:\n(?!\[).*)*?\n\s*url\s*=\s*(.+?)\s*$', re.M)


def _git_dir(directory: Path) -> Path | None:
    for folder in (directory, *directory.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                return (folder / text.removeprefix("gitdir:").strip()).resolve()
            return None
    return None


def _git_tags_from_files(directory: Path) -> dict[str, str] | None:
    """Commit, branch and origin read from the repository's files (about 0.1 ms, no git
    process); None when the layout is one this does not read (git itself is asked then)."""
    if os.environ.get("GIT_DIR"):
        return None
    git_dir = _git_dir(directory)
    if git_dir is None:
        return None
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    tags: dict[str, str] = {}
    if head.startswith("ref: "):
        ref = head.removeprefix("ref: ")
        commit = _read_ref(common, ref)
        if commit is None:
            return None  # no commit yet, or a ref store this does not read
        tags[GIT_COMMIT] = commit
        if ref.startswith("refs/heads/"):
            tags[GIT_BRANCH] = ref.removeprefix("refs/heads/")
    elif _HEX40.match(head):
        tags[GIT_COMMIT] = head  # detached
    else:
        return None
    config = common / "config"
    if config.is_file():
        found = _ORIGIN_URL.search(config.read_text(encoding="utf-8", errors="replace"))
        if found:
            tags[GIT_REPO_URL] = found.group(1)
    return tags


def _read_ref(common: Path, ref: str) -> str | None:
    loose = common / ref
    if loose.is_file():
        value = loose.read_text(encoding="utf-8").strip()
        return value if _HEX40.match(value) else None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            value, _, name = line.partition(" ")
            if name == ref and _HEX40.match(value):
                return value
    return None


def _git_tags(directory: Path) -> dict[str, str]:
    try:
        from_files = _git_tags_from_files(directory)
    except OSError:
        from_files = None
    if from_files is not None:
        return from_files
    tags: dict[str, str] = {}
    # One git call answers both: the commit, then the branch ("HEAD" when detached).
    found = _git(["rev-parse", "HEAD", "--abbrev-ref", "HEAD"], directory)
    lines = found.splitlines() if found else []
    if len(lines) != 2:  # no commit yet, or not a work tree after all
        return tags
    tags[GIT_COMMIT] = lines[0]
    if lines[1] != "HEAD":
        tags[GIT_BRANCH] = lines[1]
    remote = _git(["config", "--get", "remote.origin.url"], directory)
    if remote:
        tags[GIT_REPO_URL] = remote
    return tags


def capture_enabled() -> bool:
    return env.flag(env.CAPTURE_CONTEXT, True)


def default_tags() -> dict[str, str]:
    """Tags every new run of this process gets, unless the caller set them."""
    tags = {USER: _user(), SOURCE_NAME: source_name(), SOURCE_TYPE: "LOCAL"}
    if not capture_enabled():
        return tags
    tags[SOURCE_COMMAND] = _command()[:MAX_TAG_VALUE_LENGTH]
    tags[PYTHON_VERSION] = "{}.{}.{}".format(*sys.version_info[:3])
    tags[HOST] = _host()
    if env.flag(env.CAPTURE_GIT, True):
        directory = git_directory()
        if directory is not None:
            tags.update(_git_tags(directory))
    return tags
