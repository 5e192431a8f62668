"""The MLproject file: a project's name, environment and entry points (reference §7).

    name: wine
    python_env: python_env.yaml          # or conda_env: conda.yaml, or docker_env: {image: ...}
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.5}
          data: path                     # no default: required
        command: "python train.py --alpha {alpha} --data {data}"

``load_project(directory)`` reads and checks the file (its name is matched case-insensitively)
and answers a ``ProjectSpec``. Every problem is an ``InvalidArgument`` naming the file and the
field. A directory without an MLproject file is a project too: its ``.py`` and ``.sh`` files
are its entry points, and ``python_env.yaml`` or ``conda.yaml`` beside them its environment.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from runwell.errors import InvalidArgument, NotFound

MLPROJECT = "MLproject"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
DEFAULT_ENTRY_POINT = "main"
PARAMETER_TYPES = ("string", "float", "int", "path", "uri")
EnvType = Literal["python_env", "conda_env", "docker_env", "none"]
_ENV_KEYS: tuple[EnvType, ...] = ("python_env", "conda_env", "docker_env")
_SCRIPT_SUFFIXES = (".py", ".sh")


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """A declared entry-point parameter; ``default is None`` means it is required.

    ``type`` is one of PARAMETER_TYPES or, as MLflow allows, any other word, which is
    treated as ``string``.
    """

    name: str
    type: str = "string"
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPoint:
    """A named command template with its declared parameters."""

    name: str
    command: str
    parameters: tuple[Parameter, ...] = ()

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerEnv:
    """``docker_env``: the image, ``host:container`` volumes, and environment entries
    (a name copied from this process's environment, or a ``(name, value)`` pair)."""

    image: str
    volumes: tuple[str, ...] = ()
    environment: tuple[str | tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectSpec:
    """What an MLproject file (or a bare directory) declares."""

    directory: Path
    name: str | None
    env_type: EnvType
    env_file: Path | None
    docker_env: DockerEnv | None
    entry_points: Mapping[str, EntryPoint]
    has_mlproject: bool

    def entry_point(self, name: str) -> EntryPoint:
        """The declared entry point ``name``, else a ``.py``/``.sh`` file of the project.

        Raises:
            InvalidArgument: neither a declared entry point nor a script of the project.
        """
        found = self.entry_points.get(name)
        if found is not None:
            return found
        suffix = Path(name).suffix
        script = (self.directory / name).resolve()
        inside = script.is_relative_to(self.directory.resolve())
        if suffix in _SCRIPT_SUFFIXES and inside and script.is_file():
            runner = "python" if suffix == ".py" else os.environ.get("SHELL") or "bash"
            # format() is applied to commands later: braces in the file name are literal
            quoted = shlex.quote(name).replace("{", "{{").replace("}", "}}")
            return EntryPoint(name=name, command=f"{shlex.quote(runner)} {quoted}")
        declared = ", ".join(sorted(self.entry_points)) or "none"
        scripts = sorted(p.name for p in self.directory.iterdir() if p.suffix in _SCRIPT_SUFFIXES)
        raise InvalidArgument(
            f"Unknown entry point '{name}' in the project at '{self.directory}': declared entry "
            f"points: {declared}; runnable scripts (.py, .sh): {', '.join(scripts) or 'none'}."
        )


def find_mlproject(directory: Path) -> Path | None:
    """The MLproject file of ``directory`` (name matched case-insensitively), if any."""
    for child in sorted(directory.iterdir()):
        if child.name.lower() == MLPROJECT.lower() and child.is_file():
            return child
    return None


def load_project(directory: str | os.PathLike[str]) -> ProjectSpec:
    """Read and check the project in ``directory``.

    Raises:
        NotFound: ``directory`` is not a directory, or an env file it names is missing.
        InvalidArgument: the MLproject file is not valid YAML or a field is malformed.
    """
    import yaml

    root = Path(directory)
    if not root.is_dir():
        raise NotFound(f"No project directory at '{root}'.")
    path = find_mlproject(root)
    data: Any = {}
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise InvalidArgument(f"Invalid {path}: not valid YAML ({error}).") from None
        if not isinstance(data, dict):
            raise InvalidArgument(f"Invalid {path}: expected a YAML mapping of fields.")
    where = str(path or root)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidArgument(f"Invalid field 'name' in {where}: expected a string.")
    env_type, env_file, docker = _environment(root, data, where)
    return ProjectSpec(
        directory=root,
        name=name,
        env_type=env_type,
        env_file=env_file,
        docker_env=docker,
        entry_points=_entry_points(data.get("entry_points"), where),
        has_mlproject=path is not None,
    )


def _environment(
    root: Path, data: dict[str, Any], where: str
) -> tuple[EnvType, Path | None, DockerEnv | None]:
    given = [key for key in _ENV_KEYS if data.get(key) is not None]
    if len(given) > 1:
        raise InvalidArgument(
            f"Invalid {where}: it declares {' and '.join(given)}; a project has at most one "
            "of python_env, conda_env and docker_env."
        )
    if not given:  # MLflow's fallback: an environment file beside the code
        for env_type, file_name in (("python_env", PYTHON_ENV_FILE), ("conda_env", CONDA_ENV_FILE)):
            if (root / file_name).is_file():
                return env_type, root / file_name, None  # type: ignore[return-value]
        return "none", None, None
    key = given[0]
    value = data[key]
    if key == "docker_env":
        return key, None, _docker_env(value, where)
    if not isinstance(value, str) or not value:
        raise InvalidArgument(
            f"Invalid field '{key}' in {where}: expected the path of a YAML file, relative to "
            "the project."
        )
    env_file = root / value
    if not env_file.is_file():
        raise NotFound(f"The {key} file '{value}' named in {where} does not exist.")
    return key, env_file, None


def _docker_env(value: Any, where: str) -> DockerEnv:
    if not isinstance(value, dict) or not isinstance(value.get("image"), str) or not value["image"]:
        raise InvalidArgument(
            f"Invalid field 'docker_env' in {where}: expected a mapping with an 'image' string."
        )
    volumes = value.get("volumes") or []
    if not isinstance(volumes, list) or not all(isinstance(v, str) for v in volumes):
        raise InvalidArgument(
            f"Invalid field 'docker_env.volumes' in {where}: expected a list of "
            "'host:container' strings."
        )
    environment: list[str | tuple[str, str]] = []
    for item in value.get("environment") or []:
        if isinstance(item, str):
            environment.append(item)
        elif isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
            environment.append((item[0], str(item[1])))
        else:
            raise InvalidArgument(
                f"Invalid entry {item!r} in 'docker_env.environment' of {where}: expected a "
                "variable name to copy, or a [NAME, value] pair."
            )
    return DockerEnv(image=value["image"], volumes=tuple(volumes), environment=tuple(environment))


def _entry_points(value: Any, where: str) -> dict[str, EntryPoint]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument(
            f"Invalid field 'entry_points' in {where}: expected a mapping of names to entries."
        )
    found: dict[str, EntryPoint] = {}
    for name, entry in value.items():
        field = f"entry_points.{name}"
        if not isinstance(entry, dict):
            raise InvalidArgument(f"Invalid field '{field}' in {where}: expected a mapping.")
        command = entry.get("command")
        if not isinstance(command, str) or not command.strip():
            raise InvalidArgument(
                f"Missing field '{field}.command' in {where}: expected the command to run."
            )
        params = entry.get("parameters") or {}
        if not isinstance(params, dict):
            raise InvalidArgument(
                f"Invalid field '{field}.parameters' in {where}: expected a mapping."
            )
        parameters = tuple(
            _parameter(str(k), v, f"{field}.parameters", where) for k, v in params.items()
        )
        found[str(name)] = EntryPoint(name=str(name), command=command, parameters=parameters)
    return found


def _parameter(name: str, value: Any, field: str, where: str) -> Parameter:
    if value is None or isinstance(value, str):
        return Parameter(name=name, type=value or "string")
    if not isinstance(value, dict):
        raise InvalidArgument(
            f"Invalid field '{field}.{name}' in {where}: expected a type name or a mapping "
            "with 'type' and 'default'."
        )
    kind = value.get("type", "string")
    if not isinstance(kind, str) or not kind:
        raise InvalidArgument(f"Invalid field '{field}.{name}.type' in {where}: expected a word.")
    default = value.get("default")
    if isinstance(default, (dict, list)):
        raise InvalidArgument(
            f"Invalid field '{field}.{name}.default' in {where}: expected a single value."
        )
    return Parameter(name=name, type=kind, default=None if default is None else str(default))
