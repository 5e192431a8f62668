"""Where a project's command runs: this interpreter, a cached virtualenv, conda, or Docker.

| manager            | environment                                                      |
|--------------------|------------------------------------------------------------------|
| local              | this Python (its bin/ first on PATH), nothing built              |
| virtualenv, uv     | python_env.yaml (or conda.yaml's pip list) built with uv, cached |
| conda              | conda.yaml with conda/mamba/micromamba, cached                    |
| docker             | the docker_env image (needs a Docker engine)                     |

Without ``env_manager`` the project decides: python_env -> virtualenv, conda_env -> conda
(or, where no conda is installed, a virtualenv from conda.yaml's python and pip list),
docker_env -> docker, nothing declared -> local. Environments are built once, keyed by a hash
of what they hold (runwell.models.prepare_env: a lock per key, built beside its final place and
renamed there), so a second run with the same spec starts without building anything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runwell import env
from runwell.compat.mlflow_alias import real_mlflow_spec
from runwell.errors import InvalidArgument, InvalidState, RunwellError
from runwell.models import prepare_env
from runwell.projects import env_files
from runwell.projects.docker import build_project_image, docker_engine, image_tag
from runwell.projects.spec import ProjectSpec

ENV_MANAGERS = ("local", "virtualenv", "uv", "conda", "docker")
_DEFAULTS = {
    "python_env": "virtualenv",
    "conda_env": "conda",
    "docker_env": "docker",
    "none": "local",
}
Echo = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectEnv:
    """A prepared environment: how to start a shell command in it."""

    manager: str
    prefix: Path | None = None  # the virtualenv or conda prefix
    variables: dict[str, str] = field(default_factory=dict)
    launcher: tuple[str, ...] = ()  # argv before the shell (conda run ...)
    docker_client: str | None = None
    docker_image: str | None = None
    image_built: bool = False

    def argv(self, command: str) -> list[str]:
        """The argv running ``command`` through bash in this environment (not for docker)."""
        return [*self.launcher, "bash", "-c", command]


def choose_manager(spec: ProjectSpec, requested: str | None, echo: Echo) -> str:
    """The env manager for ``spec``: ``requested`` if it fits, else the project's default.

    Raises:
        InvalidArgument: an unknown manager, or one the project's environment cannot use.
    """
    if requested is None:
        chosen = _DEFAULTS[spec.env_type]
        if chosen == "conda" and prepare_env.find_conda() is None:
            name = spec.env_file.name if spec.env_file is not None else "conda.yaml"
            echo(
                f"The project declares conda_env, and no conda, mamba or micromamba is "
                f"installed: using --env-manager virtualenv, built with uv from the Python "
                f"version and pip dependencies of {name} (its conda packages are not installed)."
            )
            return "virtualenv"
        what = spec.env_type if spec.env_type != "none" else "no environment"
        echo(f"The project declares {what}: using --env-manager {chosen}.")
        return chosen
    if requested not in ENV_MANAGERS:
        raise InvalidArgument(
            f"Invalid env manager '{requested}': expected one of {', '.join(ENV_MANAGERS)}."
        )
    if spec.env_type == "docker_env" and requested not in ("docker", "local"):
        raise InvalidArgument(
            f"The project declares docker_env, so --env-manager {requested} does not apply: "
            "use docker (or local, to run in this Python)."
        )
    if requested == "docker" and spec.env_type != "docker_env":
        raise InvalidArgument(
            "--env-manager docker needs a docker_env section in the MLproject file, and this "
            "project has none: use virtualenv, conda or local."
        )
    if requested == "conda" and spec.env_type != "conda_env":
        raise InvalidArgument(
            f"--env-manager conda needs a conda_env (conda.yaml); this project declares "
            f"{spec.env_type.replace('none', 'no environment')}: use --env-manager virtualenv."
        )
    return requested


def _local() -> ProjectEnv:
    """This interpreter: its directory goes first on PATH, so ``python`` is this Python.

    Where this Python has no real mlflow, the command gets RUNWELL_MLFLOW_ALIAS=1 (unless the
    caller set the variable), so an MLflow project's ``import mlflow`` runs on runwell
    (runwell.compat.mlflow_alias; a real mlflow found at import time still wins).
    """
    bin_dir = str(Path(sys.executable).parent)
    variables = {"PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    if sys.prefix != sys.base_prefix:
        variables["VIRTUAL_ENV"] = sys.prefix
    if env.MLFLOW_ALIAS not in os.environ and real_mlflow_spec() is None:
        variables[env.MLFLOW_ALIAS] = "1"
    return ProjectEnv(manager="local", variables=variables)


def prepare(
    spec: ProjectSpec, manager: str, *, build_image: bool, commit: str | None, echo: Echo
) -> ProjectEnv:
    """Build (or find in the cache) the environment ``manager`` runs ``spec`` in.

    Raises:
        InvalidState: the environment cannot be built (the tool's message is included).
        NotFound, InvalidArgument: an environment file is missing or malformed.
    """
    if manager == "local":
        return _local()
    if manager == "docker":
        assert spec.docker_env is not None
        client = docker_engine()
        image = spec.docker_env.image
        if build_image:
            tag = image_tag(spec.name, spec.directory, commit)
            image = build_project_image(client, image, spec.directory, tag, echo)
        return ProjectEnv(
            manager=manager, docker_client=client, docker_image=image, image_built=build_image
        )
    if manager == "conda":
        return _conda(spec, echo)
    return _virtualenv(spec, manager, echo)


def _installer(wants_runwell: bool) -> list[str]:
    return prepare_env.runwell_requirement() if wants_runwell else []


def _virtualenv(spec: ProjectSpec, manager: str, echo: Echo) -> ProjectEnv:
    if spec.env_type == "conda_env" and spec.env_file is not None:
        wanted = env_files.python_env_from_conda(spec.env_file)
        echo(f"Building a virtualenv from the pip dependencies of {spec.env_file.name}.")
    elif spec.env_type == "python_env" and spec.env_file is not None:
        wanted = env_files.read_python_env(spec.env_file)
    else:
        wanted = env_files.PythonEnvSpec(python=None, requirements=(), wants_runwell=False)
    where = spec.env_file or spec.directory
    try:
        env_dir = prepare_env.cached_virtualenv(
            wanted.python, wanted.requirements, _installer(wanted.wants_runwell), echo=echo
        )
    except (RunwellError, OSError) as error:
        raise InvalidState(f"Could not build the virtualenv for {where}: {error}") from None
    bin_dir = prepare_env.env_python(env_dir).parent
    variables = {
        "PATH": str(bin_dir) + os.pathsep + os.environ.get("PATH", ""),
        "VIRTUAL_ENV": str(env_dir),
    }
    return ProjectEnv(manager=manager, prefix=env_dir, variables=variables)


def _conda(spec: ProjectSpec, echo: Echo) -> ProjectEnv:
    assert spec.env_file is not None
    conda = prepare_env.require_conda()
    data, wants = env_files.read_conda_env(spec.env_file)
    try:
        prefix = prepare_env.cached_conda_env(conda, data, _installer(wants), echo=echo)
    except (RunwellError, OSError) as error:
        raise InvalidState(
            f"Could not build the conda environment for {spec.env_file}: {error}"
        ) from None
    launcher = (conda, "run", "--no-capture-output", "--prefix", str(prefix))
    return ProjectEnv(manager="conda", prefix=prefix, launcher=launcher)
