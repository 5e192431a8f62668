"""Run a project run again: the same code, entry point, parameters and environment.

    import runwell.projects.reproduce as reproduce

    again = reproduce.reproduce("3f2a...")          # or: runwell runs reproduce 3f2a...
    again.run_id, again.get_status()                 # a new run, tagged runwell.reproduced_from

Everything comes from what ``runwell.projects.run`` recorded on the original run, under
MLflow's tag names:

- the code: the git commit (``mlflow.source.git.commit``) of the repository the project came
  from, checked out through the project cache, from ``mlflow.source.git.repoURL`` or the local
  repository named by ``mlflow.source.name``, in the same ``#subdirectory``. A local directory
  that is not a git repository recorded no commit: it is run as it is now.
- the entry point (``mlflow.project.entryPoint``) and the env manager (``mlflow.project.env``).
- the parameters: the run's params that the entry point declares at that commit (defaults the
  original run filled in are passed explicitly), and the extra ``-P`` values it was given
  (named by ``runwell.project.extraParams``). Other params were logged by the program itself:
  they are left out and named on stderr.

The new run goes to the original run's experiment unless another one is given.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from runwell.entities import Run
from runwell.errors import InvalidArgument, NotFound
from runwell.projects.git_cache import git
from runwell.projects.launch import (
    ENTRY_POINT_TAG,
    ENV_TAG,
    EXTRA_PARAMS_TAG,
    SUBDIRECTORY_TAG,
    ProjectRunFailed,
    run,
)
from runwell.projects.sources import fetch_project
from runwell.projects.spec import DEFAULT_ENTRY_POINT, load_project
from runwell.projects.submitted import SubmittedRun
from runwell.tracking import context, fluent
from runwell.tracking.client import RunwellClient

REPRODUCED_FROM_TAG = "runwell.reproduced_from"
PROJECT_SOURCE_TYPE = "PROJECT"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectOrigin:
    """Where and how a project run ran: enough to run it again."""

    uri: str
    version: str | None
    entry_point: str
    env_manager: str | None
    parameters: dict[str, str]
    left_out: tuple[str, ...]


def _git_top(path: Path) -> tuple[Path, str] | None:
    """(the repository's top directory, ``path`` relative to it) when ``path`` is in one."""
    done = git(["rev-parse", "--show-toplevel"], path)
    if done.returncode != 0 or not done.stdout.strip():
        return None
    top = Path(done.stdout.strip()).resolve()
    return top, path.resolve().relative_to(top).as_posix()


def _with_subdirectory(base: str, *parts: str | None) -> str:
    sub = "/".join(p.strip("/") for p in parts if p and p.strip("/") not in ("", "."))
    return f"{base}#{sub}" if sub else base


def _source(run: Run) -> tuple[str, str | None]:
    """(project URI, version) that checks out the code the run ran."""
    tags = run.data.tag_dict
    name = tags.get(context.SOURCE_NAME) or ""
    commit = tags.get(context.GIT_COMMIT)
    repo_url = tags.get(context.GIT_REPO_URL)
    sub = tags.get(SUBDIRECTORY_TAG)
    local = Path(name)
    if local.is_absolute() and local.is_dir():
        top = _git_top(local) if commit else None
        if top is not None:  # a local repository (or a directory inside one): its commit
            return _with_subdirectory(str(top[0]), top[1], sub), commit
        return _with_subdirectory(str(local), sub), None
    if commit and repo_url:
        return _with_subdirectory(repo_url, sub), commit
    raise NotFound(
        f"The source of run {run.info.run_id} is gone: '{name}' is no longer a directory, "
        "and no git repository URL and commit were recorded to check it out from."
    )


def project_origin(run: Run) -> ProjectOrigin:
    """What ``reproduce`` would run for ``run``; the checks of ``reproduce`` included.

    Raises:
        InvalidArgument: the run did not come from a project, or its entry point is not in
            the project at the recorded commit.
        NotFound: its source directory or repository (or the recorded commit) is gone.
    """
    tags = run.data.tag_dict
    source_type = tags.get(context.SOURCE_TYPE)
    if source_type != PROJECT_SOURCE_TYPE:
        raise InvalidArgument(
            f"Run {run.info.run_id} did not come from a project (its tag {context.SOURCE_TYPE} "
            f"is {source_type!r}, expected 'PROJECT'): only runs started by `runwell run` or "
            "runwell.projects.run can be reproduced."
        )
    uri, version = _source(run)
    entry_name = tags.get(ENTRY_POINT_TAG) or DEFAULT_ENTRY_POINT
    spec = load_project(fetch_project(uri, version).directory)
    entry = spec.entry_point(entry_name)
    declared = {p.name for p in entry.parameters}
    declared.update(json.loads(tags.get(EXTRA_PARAMS_TAG) or "[]"))
    params = run.data.param_dict
    return ProjectOrigin(
        uri=uri,
        version=version,
        entry_point=entry_name,
        env_manager=tags.get(ENV_TAG) or None,
        parameters={k: v for k, v in params.items() if k in declared},
        left_out=tuple(sorted(k for k in params if k not in declared)),
    )


def reproduce(
    run_id: str,
    *,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    storage_dir: str | None = None,
    synchronous: bool = True,
) -> SubmittedRun:
    """Run the project run ``run_id`` again, into a new run tagged ``runwell.reproduced_from``.

    Args:
        run_id: a run that ``runwell run`` / ``runwell.projects.run`` (or ``mlflow run``) made.
        experiment_name / experiment_id: where the new run goes (default: the original's
            experiment).
        run_name: the new run's name (a generated one by default).
        env_manager: another env manager than the recorded one (e.g. ``local``).
        storage_dir: where ``path`` parameters given as URIs are downloaded.
        synchronous: wait for the command to end (and raise if it failed).

    Raises:
        NotFound: no run ``run_id``, or its source is gone.
        InvalidArgument: the run did not come from a project; or, as for any project run, its
            entry point or parameters do not fit the project at the recorded commit.
        ProjectRunFailed: ``synchronous`` and the command failed or was stopped.
    """
    client = RunwellClient(fluent.get_tracking_uri())
    original = client.get_run(run_id)
    origin = project_origin(original)
    if origin.left_out:
        print(
            f"Reproducing run {run_id}: params {', '.join(origin.left_out)} are not parameters "
            f"of entry point '{origin.entry_point}' nor -P values it was given (the program "
            "logged them itself); they are not passed.",
            file=sys.stderr,
            flush=True,
        )
    if origin.version is None:
        print(
            f"Reproducing run {run_id}: its source '{origin.uri}' is not a git repository, so "
            "no commit was recorded; it runs as the directory is now.",
            file=sys.stderr,
            flush=True,
        )
    if experiment_name is None and experiment_id is None:
        experiment_id = original.info.experiment_id
    submitted = run(
        origin.uri,
        entry_point=origin.entry_point,
        version=origin.version,
        parameters=origin.parameters,
        env_manager=env_manager or origin.env_manager,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        storage_dir=storage_dir,
        synchronous=False,
    )
    client.set_tag(submitted.run_id, REPRODUCED_FROM_TAG, run_id)
    if synchronous and not submitted.wait():
        raise ProjectRunFailed(submitted.run_id, submitted.get_status())
    return submitted
