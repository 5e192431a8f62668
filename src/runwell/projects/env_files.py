"""A project's environment files: ``python_env.yaml`` and ``conda.yaml``, read and checked.

    python: "3.11"
    build_dependencies: [pip]
    dependencies: [scikit-learn==1.5.2, -r requirements.txt]

Requirement lines are made independent of the working directory: ``-r`` files are read in
(so a change to them changes the environment's cache key), ``-c`` files and local paths become
absolute. A line naming runwell is taken out and replaced by the runwell running this
command (its checkout when installed from one), as model environments do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runwell.errors import InvalidArgument, NotFound

_RUNWELL_LINE = re.compile(r"^\s*runwell\s*($|[=<>!~;\[ @])", re.IGNORECASE)
_OPTION = re.compile(r"^(-r|--requirement|-c|--constraint|-e|--editable)[\s=]+(\S.*)$")
_CONDA_PYTHON = re.compile(r"^python\s*(?:[=<>!~]=?\s*([0-9][0-9.*]*))?\s*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonEnvSpec:
    """What a virtualenv must hold: an interpreter version and pip requirement lines."""

    python: str | None
    requirements: tuple[str, ...]
    wants_runwell: bool


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise NotFound(f"The environment file '{path}' does not exist.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InvalidArgument(f"Invalid {path}: not valid YAML ({error}).") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"Invalid {path}: expected a YAML mapping.")
    return data


def _string_list(data: dict[str, Any], key: str, path: Path) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise InvalidArgument(f"Invalid field '{key}' in {path}: expected a list of strings.")
    return [str(v) for v in value]


def read_python_env(path: Path) -> PythonEnvSpec:
    """The interpreter version and requirement lines of a python_env.yaml file.

    Raises:
        NotFound: the file (or a ``-r`` file it names) does not exist.
        InvalidArgument: a field does not have the expected shape.
    """
    data = _load_yaml(path)
    python = data.get("python")
    if python is not None and not isinstance(python, (str, int, float)):
        raise InvalidArgument(f"Invalid field 'python' in {path}: expected a version string.")
    raw = _string_list(data, "build_dependencies", path) + _string_list(data, "dependencies", path)
    lines, wants = requirement_lines(raw, path.parent, str(path))
    return PythonEnvSpec(
        python=None if python is None else str(python), requirements=lines, wants_runwell=wants
    )


def read_conda_env(path: Path) -> tuple[dict[str, Any], bool]:
    """(the conda.yaml mapping without runwell in its pip list, whether runwell was there).

    Raises:
        NotFound: the file does not exist.
        InvalidArgument: it is not a mapping with a ``dependencies`` list.
    """
    data = _load_yaml(path)
    dependencies = data.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise InvalidArgument(f"Invalid field 'dependencies' in {path}: expected a list.")
    kept: list[Any] = []
    wants = False
    for item in dependencies:
        if isinstance(item, dict) and "pip" in item:
            if not isinstance(item["pip"], list):
                raise InvalidArgument(f"Invalid 'pip' entry in {path}: expected a list.")
            pip = [str(line) for line in item["pip"]]
            wants = wants or any(_RUNWELL_LINE.match(line) for line in pip)
            item = {**item, "pip": [line for line in pip if not _RUNWELL_LINE.match(line)]}
        kept.append(item)
    return {**data, "dependencies": kept}, wants


def python_env_from_conda(path: Path) -> PythonEnvSpec:
    """The virtualenv equivalent of a conda.yaml: its python version and its pip list."""
    data, had_runwell = read_conda_env(path)
    python: str | None = None
    pip: list[str] = []
    for item in data["dependencies"]:
        if isinstance(item, str):
            match = _CONDA_PYTHON.match(item.strip())
            if match and match.group(1):
                python = match.group(1).rstrip(".*")
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip += [str(line) for line in item["pip"]]
    lines, wants = requirement_lines(pip, path.parent, str(path))
    return PythonEnvSpec(python=python, requirements=lines, wants_runwell=wants or had_runwell)


def requirement_lines(raw: list[str], base: Path, where: str) -> tuple[tuple[str, ...], bool]:
    """(lines independent of the working directory, whether a line named runwell)."""
    lines: list[str] = []
    wants = False
    for entry in raw:
        line = entry.strip()
        if not line or line.startswith("#"):
            continue
        if _RUNWELL_LINE.match(line):
            wants = True
            continue
        option = _OPTION.match(line)
        if option is None:
            lines.append(_anchored(line, base))
            continue
        flag, target = option.group(1), option.group(2).strip()
        if flag in ("-r", "--requirement"):
            file = base / target
            if not file.is_file():
                raise NotFound(f"The requirements file '{target}' named in {where} does not exist.")
            nested = file.read_text(encoding="utf-8").splitlines()
            more, wanted = requirement_lines(nested, file.parent, str(file))
            lines += more
            wants = wants or wanted
        elif flag in ("-c", "--constraint"):
            file = (base / target).resolve()
            if not file.is_file():
                raise NotFound(f"The constraints file '{target}' named in {where} does not exist.")
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:16]
            lines += [f"-c {file}", f"# {file.name} sha256:{digest}"]  # the key follows edits
        else:
            lines.append(f"-e {_anchored(target, base)}")
    return tuple(lines), wants


def _anchored(line: str, base: Path) -> str:
    """A local path requirement (``.``, ``./pkg``, ``../lib``) made absolute."""
    if line == "." or line.startswith(("./", "../")):
        return str((base / line).resolve())
    return line
