"""Where a project's files come from: a local directory, or a git repository at a version.

    fetch_project("./my-project")                                   # runs in place
    fetch_project("https://github.com/org/repo#sub/dir", version="v1.2")
    fetch_project("file:///srv/git/repo.git", version="a1b2c3d")

A git URI (``https://``, ``http://``, ``ssh://``, ``git://``, ``git@host:path``, or a
``file://`` URI of a repository) goes through the clone cache (git_cache.py): fetched, and the
version checked out read-only, one tree per commit, so no run can change what a later run of
that commit sees. A local directory runs in place; when it is a git repository its HEAD commit
is recorded, and ``version`` checks that version out through the same cache instead.

A URI, a host or a version starting with ``-`` is refused (InvalidArgument naming the field)
before git runs: git would read it as an option (``--upload-pack=<command>`` runs a command).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from runwell.errors import InvalidArgument, NotFound

# git is re-exported: callers of this module run git through the same prompt-less runner.
from runwell.projects.git_cache import (
    checkout_version,
    git,
    git_output,
    is_git_repo,
    refuse_option,
)

__all__ = ["ProjectSource", "fetch_project", "git", "is_git_uri", "split_uri"]

_GIT_SCHEMES = ("https", "http", "ssh", "git", "git+ssh", "git+https")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectSource:
    """A project's directory and what the run records about its origin."""

    directory: Path
    source_name: str
    commit: str | None = None
    repo_url: str | None = None
    branch: str | None = None
    version: str | None = None
    subdirectory: str | None = None


def split_uri(uri: str) -> tuple[str, str | None]:
    """``(uri, subdirectory)`` from ``uri#sub/dir``; the subdirectory may not leave the project.

    Raises:
        InvalidArgument: the subdirectory is absolute or has '.' or '..' parts.
    """
    base, sep, sub = uri.partition("#")
    if not sep or not sub.strip("/"):
        return base, None
    parts = PurePosixPath(sub).parts
    if sub.startswith("/") or any(part in (".", "..") for part in sub.split("/")):
        raise InvalidArgument(
            f"Invalid project subdirectory '{sub}' in '{uri}': expected a relative path "
            "inside the project, without '.' or '..' parts."
        )
    return base, "/".join(parts)


def is_git_uri(uri: str) -> bool:
    """Whether ``uri`` names a git repository to clone (not a local directory to run in place)."""
    scheme = urlparse(uri).scheme.lower()
    if scheme in _GIT_SCHEMES or _SCP_LIKE.match(uri):
        return True
    if scheme != "file":
        return False
    path = Path(unquote(urlparse(uri).path))  # a directory that is not a repository runs in place
    return not path.is_dir() or is_git_repo(path)


def fetch_project(uri: str, version: str | None = None) -> ProjectSource:
    """The project at ``uri`` (``#subdirectory`` allowed), checked out at ``version``.

    Raises:
        NotFound: no such directory or repository, or no such version in it.
        InvalidArgument: ``version`` given for a directory that is not a git repository,
            or the subdirectory is not a directory of the project.
    """
    refuse_option(uri, "uri")
    refuse_option(version, "version")
    if version is not None and not version.strip():
        raise InvalidArgument(f"Invalid version {version!r}: expected a branch, tag or commit.")
    base, sub = split_uri(uri)
    if is_git_uri(base):
        _refuse_option_host(base)
        source = _from_git(base, base, version)
    else:
        path = Path(unquote(urlparse(base).path) if base.startswith("file:") else base)
        path = path.expanduser()
        if not path.is_dir():
            raise NotFound(
                f"No project at '{uri}': not a directory, and not a git URI (https://, ssh://, "
                "git@host:path, file://)."
            )
        path = path.resolve()
        if version is not None:
            if not is_git_repo(path):
                raise InvalidArgument(
                    f"--version '{version}' needs a git repository, and '{path}' is not one."
                )
            source = _from_git(str(path), str(path), version)
            source = dataclasses.replace(source, repo_url=_in_place(path).repo_url)
        else:
            source = _in_place(path)
    if sub is None:
        return source
    directory = source.directory / sub
    if not directory.is_dir():
        raise NotFound(f"No subdirectory '{sub}' in the project at '{base}'.")
    return ProjectSource(
        directory=directory,
        source_name=source.source_name,
        commit=source.commit,
        repo_url=source.repo_url,
        branch=source.branch,
        version=source.version,
        subdirectory=sub,
    )


def _refuse_option_host(url: str) -> None:
    """A host (or ``user@host``) starting with ``-`` reaches ssh as an option (-oProxyCommand)."""
    scp = _SCP_LIKE.match(url)
    host = url.split(":", 1)[0] if scp else urlparse(url).netloc
    if any(part.startswith("-") for part in host.split("@")):
        raise InvalidArgument(
            f"Invalid uri {url!r}: its host '{host}' starts with '-', which ssh would read as "
            "an option; expected a host name."
        )


def _in_place(path: Path) -> ProjectSource:
    commit = git_output(["rev-parse", "HEAD"], path)
    remote = git_output(["config", "--get", "remote.origin.url"], path) if commit else None
    return ProjectSource(directory=path, source_name=str(path), commit=commit, repo_url=remote)


def _from_git(url: str, source_name: str, version: str | None) -> ProjectSource:
    checkout = checkout_version(url, version)
    return ProjectSource(
        directory=checkout.directory,
        source_name=source_name,
        commit=checkout.commit,
        repo_url=url,
        branch=checkout.branch,
        version=version,
    )
