"""``runwell.projects.run``: fetch a project, build its environment, run an entry point in a run.

Everything that can be wrong with the request (the source, the version, the MLproject file,
the entry point, the parameters, the environment) is checked, and the environment built,
before the run is created: a bad request leaves no run behind. Then the run is created with
the project's tags and parameters, and the command starts with the run's id in its
environment (RUNWELL_RUN_ID / MLFLOW_RUN_ID, the tracking URI and experiment id likewise), so
``runwell.start_run()`` in the project's code, or the mlflow client, logs into that run.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runwell import env
from runwell.entities import Experiment, LifecycleStage, Param, RunStatus
from runwell.errors import InvalidArgument, InvalidState, NotFound
from runwell.projects.docker import docker_command
from runwell.projects.environments import ProjectEnv, choose_manager, prepare
from runwell.projects.parameters import render_command, resolve_parameters
from runwell.projects.sources import ProjectSource, fetch_project
from runwell.projects.spec import ProjectSpec, load_project
from runwell.projects.submitted import SubmittedRun
from runwell.tracking import context, fluent
from runwell.tracking.client import RunwellClient

ENTRY_POINT_TAG = "mlflow.project.entryPoint"
BACKEND_TAG = "mlflow.project.backend"
ENV_TAG = "mlflow.project.env"
DOCKER_IMAGE_TAG = "mlflow.docker.image.uri"
VERSION_TAG = "runwell.project.version"
SUBDIRECTORY_TAG = "runwell.project.subdirectory"
# The -P names the entry point does not declare (a JSON list), so reproduce can tell them from
# params the program logs itself.
EXTRA_PARAMS_TAG = "runwell.project.extraParams"
_STALE = ("RUNWELL_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME")


class ProjectRunFailed(InvalidState):
    """A synchronous project run ended FAILED or KILLED; ``run_id`` and ``status`` say which."""

    def __init__(self, run_id: str, status: str) -> None:
        super().__init__(
            f"Run {run_id} {status}: the project's command did not succeed; its output is in "
            f"the run's artifacts (project-logs/)."
        )
        self.run_id = run_id
        self.status = status


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _backend_config(backend: str, config: Mapping[str, Any] | str | None) -> None:
    if backend != "local":
        raise InvalidArgument(
            f"Invalid backend '{backend}': runwell runs projects with the 'local' backend."
        )
    if isinstance(config, str):  # a JSON file or JSON text, as MLflow accepts; unused locally
        try:
            text = Path(config).read_text("utf-8") if Path(config).is_file() else config
            json.loads(text)
        except (ValueError, OSError):
            raise InvalidArgument(
                f"Invalid backend config {config!r}: expected a JSON file or JSON text."
            ) from None


def _experiment(client: RunwellClient, name: str | None, experiment_id: str | None) -> str | None:
    """The experiment's id (None: ``name`` does not exist yet; it is created with the run)."""
    if name is not None and experiment_id is not None:
        raise InvalidArgument("Give at most one of 'experiment_name' and 'experiment_id'.")
    found: Experiment | None
    if experiment_id is not None:
        try:
            found = client.get_experiment(str(experiment_id))
        except NotFound:
            raise NotFound(f"No experiment with id '{experiment_id}'.") from None
    elif name is not None:
        found = client.get_experiment_by_name(name)
        if found is None:
            return None
    else:  # the fluent rule: set_experiment, then RUNWELL_EXPERIMENT_ID/NAME, then "0"
        return fluent._active_experiment_id()
    if found.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidArgument(
            f"Experiment '{found.name}' ({found.experiment_id}) is deleted: restore it first."
        )
    return found.experiment_id


def _tags(source: ProjectSource, entry: str, project_env: ProjectEnv) -> dict[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    tags = {
        context.USER: user,
        context.SOURCE_NAME: source.source_name,
        context.SOURCE_TYPE: "PROJECT",
        ENTRY_POINT_TAG: entry,
        BACKEND_TAG: "local",
        ENV_TAG: project_env.manager,
    }
    optional = {
        context.GIT_COMMIT: source.commit,
        context.GIT_REPO_URL: source.repo_url,
        context.GIT_BRANCH: source.branch,
        VERSION_TAG: source.version,
        SUBDIRECTORY_TAG: source.subdirectory,
        DOCKER_IMAGE_TAG: project_env.docker_image,
    }
    tags.update({k: v for k, v in optional.items() if v})
    active = fluent.active_run()
    parent = active.run_id if active is not None else env.get(env.RUN_ID)
    if parent:  # launched from inside a run (or a project's process): nested under it
        tags[context.PARENT_RUN_ID] = parent
    return tags


def _child_env(run_id: str, experiment_id: str, tracking_uri: str) -> dict[str, str]:
    """The RUNWELL_* variables (and their MLFLOW_* twins) that point the child at its run."""
    values = {
        "RUN_ID": run_id,
        "TRACKING_URI": tracking_uri,
        "EXPERIMENT_ID": experiment_id,
    }
    return {f"{prefix}_{k}": v for k, v in values.items() for prefix in ("RUNWELL", "MLFLOW")}


def run(
    uri: str,
    entry_point: str = "main",
    version: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    env_manager: str | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    storage_dir: str | None = None,
    synchronous: bool = True,
    build_image: bool = False,
    docker_args: Mapping[str, Any] | None = None,
    backend: str = "local",
    backend_config: Mapping[str, Any] | str | None = None,
) -> SubmittedRun:
    """Run an entry point of the project at ``uri`` in a new run, and return it.

    Args:
        uri: a local directory or a git URI (``https://``, ``ssh://``, ``git@host:path``,
            ``file://``), with an optional ``#sub/directory`` holding the project.
        entry_point: a name declared in the MLproject file, or a ``.py``/``.sh`` file.
        version: git branch, tag or commit to check out (git sources, or a local repository).
        parameters: values for the entry point's parameters; undeclared ones are appended to
            the command as ``--key value``. Every value is shell-quoted.
        env_manager: ``local``, ``virtualenv`` (or ``uv``), ``conda`` or ``docker``; by
            default the one the project's environment calls for.
        experiment_name: the experiment of the run (created if missing); or
        experiment_id: an existing experiment's id. Neither: the active experiment.
        run_name: the run's name (a generated one by default).
        storage_dir: where ``path`` parameters given as URIs are downloaded (a temp dir).
        synchronous: wait for the command to end (and raise if it failed); else return at once.
        build_image: for docker_env projects, build an image holding the project.
        docker_args: extra ``docker run`` options, ``{"gpus": "all"}`` -> ``--gpus all``.
        backend: only ``local``.
        backend_config: accepted for MLflow compatibility (a mapping, JSON file or text).

    Returns:
        The SubmittedRun (ended when ``synchronous``).

    Raises:
        NotFound, InvalidArgument, InvalidState: the request cannot run (checked before the
            run is created, so no run is left behind).
        ProjectRunFailed: ``synchronous`` and the command failed or was stopped.
    """
    _backend_config(backend, backend_config)
    tracking_uri = fluent.get_tracking_uri()
    client = RunwellClient(tracking_uri)
    exp_id = _experiment(client, experiment_name, experiment_id)
    source = fetch_project(uri, version)
    spec = load_project(source.directory)
    entry = spec.entry_point(entry_point)
    resolved = resolve_parameters(
        entry,
        parameters,
        project_dir=source.directory,
        storage_dir=storage_dir,
        tracking_uri=tracking_uri,
    )
    command = render_command(entry, resolved)
    manager = choose_manager(spec, env_manager, _echo)
    project_env = prepare(spec, manager, build_image=build_image, commit=source.commit, echo=_echo)
    if exp_id is None:  # named, and new: created now that the request has been checked
        assert experiment_name is not None
        exp_id = client.create_experiment(experiment_name)
    tags = _tags(source, entry.name, project_env)
    if resolved.extras:
        tags[EXTRA_PARAMS_TAG] = json.dumps(sorted(resolved.extras))
    created = client.create_run(exp_id, tags=tags, run_name=run_name)
    run_id = created.info.run_id
    try:
        params = [Param(key=k, value=v) for k, v in resolved.logged.items()]
        if params:
            client.log_batch(run_id, params=params)
        run_env = _child_env(run_id, exp_id, tracking_uri)
        argv = _argv(command, project_env, spec, source, run_env, tracking_uri, docker_args)
        variables = {**project_env.variables, **run_env}
        submitted = _start(run_id, argv, source.directory, variables, client)
    except BaseException:
        client.set_terminated(run_id, RunStatus.FAILED)
        raise
    if synchronous and not submitted.wait():
        raise ProjectRunFailed(run_id, submitted.get_status())
    return submitted


def _argv(
    command: str,
    project_env: ProjectEnv,
    spec: ProjectSpec,
    source: ProjectSource,
    run_env: dict[str, str],
    tracking_uri: str,
    docker_args: Mapping[str, Any] | None,
) -> list[str]:
    """The argv running ``command`` in the prepared environment (a container for docker)."""
    if project_env.docker_client is None or project_env.docker_image is None:
        return project_env.argv(command)
    assert spec.docker_env is not None
    return docker_command(
        project_env.docker_client,
        project_env.docker_image,
        spec.docker_env,
        command,
        project_dir=None if project_env.image_built else source.directory,
        run_env=run_env,
        tracking_uri=tracking_uri,
        docker_args=docker_args,
    )


def _start(
    run_id: str, argv: list[str], cwd: Path, variables: dict[str, str], client: RunwellClient
) -> SubmittedRun:
    """Start ``argv`` in ``cwd`` with ``variables`` set, in a process group of its own."""
    environ = {k: v for k, v in os.environ.items() if k not in _STALE}
    environ.update(variables)
    environ.setdefault("PYTHONUNBUFFERED", "1")  # stream the output as it is printed
    log_dir = Path(tempfile.mkdtemp(prefix="runwell-project-logs-"))
    _echo(f"Run {run_id}: {argv[-1]}")
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=environ,
            # A terminal is not handed down: the process is not in the foreground group.
            stdin=subprocess.DEVNULL if os.isatty(0) else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        shutil.rmtree(log_dir, ignore_errors=True)
        raise InvalidState(f"Could not start the project's command ({argv[0]}): {error}") from None
    return SubmittedRun(run_id, process, client, log_dir)
