"""The clone cache of git projects: one bare mirror per URL, one read-only tree per commit.

    <root>/repos/<name>-<hash>.git               git clone --mirror URL   (fetched per run)
    <root>/checkouts/<name>-<hash>/<commit>/     the commit's files, read-only, with .git

``<root>`` is ``$RUNWELL_PROJECTS_ROOT`` (default ``~/.runwell/projects``). A lock per URL
serialises the processes that fetch the same repository; a tree is checked out beside its
final place and renamed there once complete, so a half-made one is never used. A version
given as a full commit id already in the mirror is not fetched again (a commit never
changes), so reproducing a run works offline.

Git is the ``git`` executable, run without a terminal prompt: a repository that needs
credentials fails instead of waiting for them. Every URL, path and version handed to it comes
after ``--`` (or is a resolved commit id), and a URL or version starting with ``-`` is refused
before git runs, so no project URI can be read as an option (``--upload-pack=<command>``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from runwell import env
from runwell.errors import InvalidArgument, InvalidState, NotFound
from runwell.models.prepare_env import locked

PROJECTS_ROOT = "RUNWELL_PROJECTS_ROOT"
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
_FULL_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_EXPECTED = {
    "uri": "a repository URL or a path (./-name for a directory named so)",
    "version": "a branch, tag or commit",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class GitCheckout:
    """A commit's read-only tree; ``branch`` is the version when it named a branch."""

    directory: Path
    commit: str
    branch: str | None


def projects_root() -> Path:
    """Where git projects are cached: ``$RUNWELL_PROJECTS_ROOT`` or ``~/.runwell/projects``."""
    configured = env.get(PROJECTS_ROOT)
    return Path(configured).expanduser() if configured else Path.home() / ".runwell" / "projects"


def _git_env() -> dict[str, str]:
    environ = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "echo"}
    environ.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return environ


def git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` without a prompt; the finished process (never raises on exit status)."""
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, env=_git_env(), check=False
        )
    except FileNotFoundError:
        raise InvalidState(
            "Projects from git need the `git` executable, and it is not on PATH: install git."
        ) from None


def git_output(args: list[str], cwd: Path | None = None) -> str | None:
    """git's answer, or None (git failed, or is not installed: a plain directory still runs)."""
    try:
        done = git(args, cwd)
    except InvalidState:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def is_git_repo(path: Path) -> bool:
    return path.is_dir() and git_output(["rev-parse", "--git-dir"], path) is not None


def _cache_key(url: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1])[:40] or "repo"
    return f"{slug.removesuffix('.git')}-{hashlib.sha256(url.encode()).hexdigest()[:16]}"


def refuse_option(value: str | None, field: str) -> None:
    """Refuse a git argument that git could read as an option (``-u ...``, ``--upload-pack``).

    Raises:
        InvalidArgument: ``value`` starts with ``-``; the message names ``field``.
    """
    if value is not None and value.lstrip().startswith("-"):
        expected = _EXPECTED.get(field, "a value that is not an option")
        raise InvalidArgument(
            f"Invalid {field} {value!r}: it starts with '-', which git would read as an "
            f"option; expected {expected}."
        )


def checkout_version(url: str, version: str | None) -> GitCheckout:
    """The tree of ``version`` (default: the remote's HEAD) of the repository at ``url``.

    Raises:
        InvalidArgument: ``url`` or ``version`` starts with ``-``.
        NotFound: the repository cannot be cloned or fetched, or has no such version.
        InvalidState: git is not installed, or the checkout failed.
    """
    refuse_option(url, "uri")
    refuse_option(version, "version")
    root = projects_root()
    key = _cache_key(url)
    mirror = root / "repos" / f"{key}.git"
    with locked(root / "locks" / f"{key}.lock"):
        _update_mirror(url, mirror, version)
        commit = _resolve(url, mirror, version)
        branch = None
        if version is not None:
            ref = ["show-ref", "--verify", "--quiet", f"refs/heads/{version}"]
            branch = version if git(ref, mirror).returncode == 0 else None
        directory = _checkout(url, mirror, root / "checkouts" / key, commit)
    return GitCheckout(directory=directory, commit=commit, branch=branch)


def _update_mirror(url: str, mirror: Path, version: str | None) -> None:
    if mirror.is_dir():
        if version is not None and _FULL_SHA.match(version):
            known = ["cat-file", "-e", "--end-of-options", f"{version}^{{commit}}"]
            if git(known, mirror).returncode == 0:
                return  # a commit never changes: nothing to fetch
        done = git(["fetch", "--prune", "--quiet", "--", "origin"], mirror)
        if done.returncode != 0:
            raise NotFound(f"Could not fetch the git repository '{url}': {_tail(done)}")
        return
    mirror.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{mirror.name}-", dir=mirror.parent))
    try:
        done = git(["clone", "--mirror", "--quiet", "--", url, str(building / "repo.git")])
        if done.returncode != 0:
            raise NotFound(f"Could not clone the git repository '{url}': {_tail(done)}")
        os.replace(building / "repo.git", mirror)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _resolve(url: str, mirror: Path, version: str | None) -> str:
    revision = f"{version or 'HEAD'}^{{commit}}"
    done = git(["rev-parse", "--verify", "--quiet", "--end-of-options", revision], mirror)
    if done.returncode != 0 or not done.stdout.strip():
        if version is None:
            raise NotFound(f"The git repository '{url}' has no commits.")
        raise NotFound(
            f"No version '{version}' in the git repository '{url}': expected a branch, tag "
            "or commit of it."
        )
    return done.stdout.strip()


def _checkout(url: str, mirror: Path, base: Path, commit: str) -> Path:
    """The read-only directory holding ``commit`` (made once; the rename is atomic)."""
    final = base / commit
    if final.is_dir():
        return final
    base.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{commit[:12]}-", dir=base))
    tree = building / "tree"
    try:
        steps = [
            (["clone", "--quiet", "--no-checkout", "--", str(mirror), str(tree)], None),
            (["checkout", "--quiet", "--detach", commit, "--"], tree),
            (["remote", "set-url", "--", "origin", url], tree),
        ]
        if git(["cat-file", "-e", f"{commit}:.gitmodules"], mirror).returncode == 0:
            steps.append((["submodule", "update", "--init", "--recursive", "--quiet"], tree))
        for args, cwd in steps:
            done = git(args, cwd)
            if done.returncode != 0:
                raise InvalidState(f"Could not check out {commit} of '{url}': {_tail(done)}")
        _make_read_only(tree)
        os.replace(tree, final)
        final.chmod(final.stat().st_mode & ~_WRITE_BITS)
    finally:
        _remove(building)
    return final


def _remove(tree: Path) -> None:
    """Delete a (possibly read-only) directory tree."""
    for directory, _subdirs, _files in os.walk(tree):
        Path(directory).chmod(Path(directory).stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(tree, ignore_errors=True)


def _make_read_only(tree: Path) -> None:
    """Take the write bits off the checked-out files and directories (not off .git)."""
    for directory, subdirs, files in os.walk(tree, topdown=True):
        subdirs[:] = [d for d in subdirs if d != ".git"]
        for name in files:
            path = Path(directory, name)
            if name != ".git" and not path.is_symlink():
                path.chmod(path.stat().st_mode & ~_WRITE_BITS)
        if Path(directory) != tree:
            Path(directory).chmod(Path(directory).stat().st_mode & ~_WRITE_BITS)


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return " ".join(lines[:3]) or f"git exited with status {done.returncode}"
