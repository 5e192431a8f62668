"""The environment files of a model directory (reference §1).

``requirements.txt`` pins to the installed versions what the flavor imports and what the saved
model references (inferred_requirements.py: the modules its pickles and code name), plus
``runwell==<version>`` as MLflow pins itself; ``python_env.yaml`` names the interpreter and
build tools and points at requirements.txt; ``conda.yaml`` says the same for conda users.
``pip_requirements`` replaces the inferred list; ``extra_pip_requirements`` adds to it.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any

from runwell import yaml_dump
from runwell.errors import InvalidArgument

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
CONSTRAINTS_FILE = "constraints.txt"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def pinned(package: str) -> str:
    """``package==<installed version>``, or the bare name when it is not installed.

    A local version label is dropped (``torch==2.13.0+cpu`` -> ``torch==2.13.0``): package
    indexes do not serve local versions, so the label would make the line uninstallable.
    """
    version = _installed_version(package, tuple(sys.path))
    return package if version is None else f"{package}=={version.split('+', 1)[0]}"


_versions: dict[tuple[str, tuple[str, ...]], str] = {}


def _installed_version(package: str, path: tuple[str, ...]) -> str | None:
    # importlib.metadata searches every sys.path entry each time: a third of the background
    # work of an autologged fit. A version found stays valid while sys.path does, as far as a
    # running process can tell (a module already imported keeps its version anyway); a
    # package not found is looked up again, since it may be installed meanwhile.
    key = (package, path)
    version = _versions.get(key)
    if version is None:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            return None
        if len(_versions) < 4096:
            _versions[key] = version
    return version


def _requirement_name(line: str) -> str:
    match = _NAME.match(line)
    return match.group(1).lower().replace("_", "-") if match else line.strip()


def _as_list(value: str | Sequence[str] | None, label: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        if not os.path.isfile(value):
            raise InvalidArgument(
                f"Invalid {label} '{value}': expected a list of requirements or the path of a "
                "requirements file."
            )
        with open(value, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle]
        return [line for line in lines if line and not line.startswith("#")]
    if not all(isinstance(item, str) for item in value):
        raise InvalidArgument(f"Invalid {label}: every requirement must be a string.")
    return list(value)


def requirements(
    flavor_packages: Iterable[str],
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    model_dir: str | None = None,
    modules: Iterable[str] = (),
) -> list[str]:
    """The requirement lines for a model: explicit ones, or runwell + the flavor's, pinned.

    With ``model_dir`` (the saved directory), the distributions its files reference are added;
    ``modules`` adds top-level modules the caller knows the model uses (a PythonModel's source).
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidArgument(
            "Give at most one of 'pip_requirements' and 'extra_pip_requirements'."
        )
    explicit = _as_list(pip_requirements, "pip_requirements")
    if pip_requirements is not None:
        return explicit
    from runwell._version import __version__

    packages = list(flavor_packages)
    if model_dir is not None:
        packages += _referenced(model_dir, modules)
    lines = [f"runwell=={__version__}"]
    lines += _unique(pinned(p) for p in packages)
    seen = {_requirement_name(line) for line in lines}
    for line in _as_list(extra_pip_requirements, "extra_pip_requirements"):
        name = _requirement_name(line)
        if name in seen:
            lines = [x for x in lines if _requirement_name(x) != name]
        lines.append(line)
        seen.add(name)
    return lines


def _referenced(model_dir: str, modules: Iterable[str]) -> list[str]:
    from runwell.models import inferred_requirements as inferred

    code_dir = os.path.join(model_dir, "code")
    found = inferred.modules_in_model_dir(model_dir, code_dir) | set(modules)
    return inferred.distributions(found)


def _unique(lines: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        name = _requirement_name(line)
        if name not in seen:
            seen.add(name)
            kept.append(line)
    return kept


def _build_dependencies() -> list[str]:
    return [pinned("pip"), pinned("setuptools"), "wheel"]


def write_environment(path: str, lines: Sequence[str]) -> dict[str, Any]:
    """Write requirements.txt, python_env.yaml and conda.yaml; the pyfunc ``env`` mapping."""

    python = platform.python_version()
    with open(os.path.join(path, REQUIREMENTS_FILE), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    python_env = {
        "python": python,
        "build_dependencies": _build_dependencies(),
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    with open(os.path.join(path, PYTHON_ENV_FILE), "w", encoding="utf-8") as handle:
        yaml_dump.safe_dump(python_env, handle, default_flow_style=False, sort_keys=False)
    pip_pin = pinned("pip")
    pip_bound = pip_pin.replace("==", "<=") if "==" in pip_pin else "pip"
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", pip_bound, {"pip": list(lines)}],
        "name": "runwell-env",
    }
    with open(os.path.join(path, CONDA_ENV_FILE), "w", encoding="utf-8") as handle:
        yaml_dump.safe_dump(conda, handle, default_flow_style=False, sort_keys=False)
    return {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE}
