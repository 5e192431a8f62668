"""Build (once) and reuse a virtualenv holding what a model needs: ``runwell models prepare-env``.

    env = prepare_virtualenv("path/to/model")      # ~/.runwell/envs/<key>, made with uv
    run: env.python -c BOOTSTRAP models serve -m path/to/model

The environment is keyed by a hash of the interpreter version, the model's requirement lines
and the runwell it gets, so models with the same needs share one, and a second prepare is a
lookup. The cache lives under ``RUNWELL_ENV_ROOT`` (default ``~/.runwell/envs``).

Concurrent prepares of the same environment are safe: a file lock per key serialises them,
the environment is built in a temporary directory beside its final place and renamed there
only once complete (rename is atomic on one file system), so an interrupted build never
leaves a directory that looks ready. uv builds with ``--relocatable``, so the rename keeps the
environment working.

The model's ``runwell==<version>`` line is replaced by the runwell that runs this command:
its source tree when installed from one (editable installs stay editable), else that version
from the package index. The server must run inside the environment, so it needs runwell.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from runwell import env, yaml_dump
from runwell.errors import InvalidArgument, InvalidState, NotFound

ENV_ROOT = env.ENV_ROOT
REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
# The CLI inside an environment, started by its interpreter (entry-point scripts hold
# absolute paths; the interpreter is the one file sure to be where we look).
BOOTSTRAP = "import sys; from runwell.cli import main; sys.exit(main(prog_name='runwell'))"
_RUNWELL_LINE = re.compile(r"^\s*runwell\s*($|[=<>!~;\[ ])", re.IGNORECASE)
_FILE_OPTION = re.compile(r"^\s*(-r|-c|--requirement|--constraint)\s+(\S+)\s*$")

Echo = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def env_root() -> Path:
    """Where prepared environments are kept: ``$RUNWELL_ENV_ROOT`` or ``~/.runwell/envs``."""
    configured = env.get(ENV_ROOT)
    return Path(configured).expanduser() if configured else Path.home() / ".runwell" / "envs"


def find_uv() -> str | None:
    """The uv executable: beside this interpreter (a venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uv")


def runwell_requirement() -> list[str]:
    """How to install the running runwell: its source tree (``-e`` if editable) or its version."""
    from runwell._version import __version__

    try:
        distribution = metadata.distribution("runwell")
        direct = distribution.read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    if direct:
        info = json.loads(direct)
        url = urlparse(str(info.get("url", "")))
        if url.scheme == "file":
            source = unquote(url.path)
            if info.get("dir_info", {}).get("editable"):
                return ["-e", source]
            return [source]
    return [f"runwell=={__version__}"]


@dataclass(frozen=True)
class ModelEnvSpec:
    """What a model's environment files ask for."""

    model_dir: Path
    python: str | None
    requirements: tuple[str, ...]


def read_env_spec(model_dir: str | os.PathLike[str]) -> ModelEnvSpec:
    """The interpreter version (python_env.yaml) and requirement lines (requirements.txt)."""
    import yaml

    directory = Path(model_dir)
    python: str | None = None
    env_file = directory / PYTHON_ENV_FILE
    if env_file.is_file():
        data = yaml.safe_load(env_file.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise InvalidArgument(f"Invalid {env_file}: expected a YAML mapping.")
        python = str(data["python"]) if data.get("python") else None
    req_file = directory / REQUIREMENTS_FILE
    if not req_file.is_file():
        raise NotFound(
            f"The model at '{directory}' has no {REQUIREMENTS_FILE}: its environment is "
            "unknown. Serve it with --env-manager local, or add the file."
        )
    lines = []
    for raw in req_file.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or _RUNWELL_LINE.match(line):
            continue
        option = _FILE_OPTION.match(line)
        if option:  # -r/-c paths are relative to the model directory; make them absolute
            line = f"{option.group(1)} {(directory / option.group(2)).resolve()}"
        lines.append(line)
    return ModelEnvSpec(directory, python, tuple(lines))


def _interpreter(requested: str | None) -> tuple[str, str]:
    """(what uv is asked for, the version that goes into the key).

    The running interpreter serves when its major.minor matches (patch releases are
    compatible); otherwise uv is asked for the requested version and finds it or fails.
    """
    running = platform.python_version()
    if requested is None or requested.split(".")[:2] == running.split(".")[:2]:
        return sys.executable, running
    return requested, requested


def env_key(python: str, lines: tuple[str, ...] | list[str], installer: list[str]) -> str:
    """A short stable hash of everything that decides an environment's contents."""
    payload = json.dumps(
        {"python": python, "requirements": sorted(lines), "runwell": installer}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created) for the block; other preparers wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        if os.name == "nt":  # pragma: no cover - runwell's environments are built on POSIX
            yield
            return
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _run(command: list[str], what: str, echo: Echo) -> None:
    echo("$ " + " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise InvalidState(f"{what} failed (exit {done.returncode}):\n{tail}")


def env_python(env_dir: str | os.PathLike[str]) -> Path:
    """The interpreter of a virtualenv."""
    if os.name == "nt":  # pragma: no cover
        return Path(env_dir) / "Scripts" / "python.exe"
    return Path(env_dir) / "bin" / "python"


def _build_virtualenv(
    target: Path, python: str, requirements: Path, installer: list[str], echo: Echo
) -> None:
    uv = find_uv()
    if uv is not None:
        _run([uv, "venv", "--relocatable", "--python", python, str(target)], "uv venv", echo)
        install = [uv, "pip", "install", "--python", str(env_python(target))]
    else:  # no uv: the standard library's venv and the environment's own pip
        _run([python, "-m", "venv", str(target)], "python -m venv", echo)
        install = [str(env_python(target)), "-m", "pip", "install", "--disable-pip-version-check"]
    _run([*install, "-r", str(requirements), *installer], "Installing the requirements", echo)


def prepare_virtualenv(
    model_dir: str | os.PathLike[str], *, root: Path | None = None, echo: Echo = _quiet
) -> Path:
    """The virtualenv for the model in ``model_dir``, built now unless already cached.

    Raises:
        NotFound: the model has no requirements.txt.
        InvalidState: creating the environment or installing into it failed (the tool's
            message is included); nothing is left in the cache.
    """
    spec = read_env_spec(model_dir)
    return cached_virtualenv(
        spec.python, spec.requirements, runwell_requirement(), root=root, echo=echo
    )


def cached_virtualenv(
    python_version: str | None,
    requirements: tuple[str, ...],
    installer: list[str],
    *,
    root: Path | None = None,
    echo: Echo = _quiet,
) -> Path:
    """The cached virtualenv of this interpreter version and these requirement lines (plus
    ``installer``, the runwell to add, or none), built now unless already there."""
    python, version = _interpreter(python_version)
    key = env_key(version, requirements, installer)
    base = root or env_root()
    final = base / key
    with locked(base / f".{key}.lock"):
        if env_python(final).exists():
            echo(f"Reusing the environment at {final}")
            return final
        base.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=base))
        try:
            listed = building / REQUIREMENTS_FILE
            listed.write_text("\n".join(requirements) + "\n", encoding="utf-8")
            env_dir = building / "env"
            _build_virtualenv(env_dir, python, listed, installer, echo)
            os.replace(env_dir, final)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    echo(f"Created the environment at {final}")
    return final


def find_conda() -> str | None:
    """A conda-compatible executable: ``$CONDA_EXE``, else conda, mamba or micromamba on PATH."""
    configured = os.environ.get("CONDA_EXE")
    if configured and os.access(configured, os.X_OK):
        return configured
    for name in ("conda", "mamba", "micromamba"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_conda() -> str:
    """The conda executable, or InvalidState saying there is none and what to do instead."""
    conda = find_conda()
    if conda is None:
        raise InvalidState(
            "--env-manager conda needs a conda executable, and none was found ($CONDA_EXE is "
            "unset and no conda, mamba or micromamba is on PATH). Install one, or use "
            "--env-manager virtualenv (uv) or local."
        )
    return conda


def _conda_file(model_dir: Path, installer: list[str]) -> dict[str, object]:
    import yaml

    source = model_dir / CONDA_ENV_FILE
    if not source.is_file():
        raise NotFound(f"The model at '{model_dir}' has no {CONDA_ENV_FILE}.")
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("dependencies", []), list):
        raise InvalidArgument(f"Invalid {source}: expected a mapping with a dependencies list.")
    dependencies: list[object] = []
    for item in data.get("dependencies", []):
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip = [p for p in item["pip"] if not _RUNWELL_LINE.match(str(p))]
            item = {**item, "pip": pip}
        dependencies.append(item)
    return {**data, "dependencies": dependencies}


def prepare_conda_env(
    model_dir: str | os.PathLike[str], *, root: Path | None = None, echo: Echo = _quiet
) -> tuple[str, Path]:
    """(conda executable, prefix) of the conda environment for the model, made if needed.

    conda prefixes hold their own path, so they are built in place under the lock and marked
    ready by a file written last; a half-built prefix is removed and rebuilt.
    """
    conda = require_conda()
    directory = Path(model_dir)
    installer = runwell_requirement()
    spec = _conda_file(directory, installer)
    return conda, cached_conda_env(conda, spec, installer, root=root, echo=echo)


def cached_conda_env(
    conda: str,
    spec: dict[str, object],
    installer: list[str],
    *,
    root: Path | None = None,
    echo: Echo = _quiet,
) -> Path:
    """The prefix of the cached conda environment of ``spec`` (a conda.yaml mapping), with
    ``installer`` (the runwell to add, or none) pip-installed into it; built unless there."""

    text = yaml_dump.safe_dump(spec, sort_keys=True)
    key = "conda-" + env_key("conda", [text], installer)
    base = root or env_root()
    prefix = base / key
    ready = base / f"{key}.ready"
    with locked(base / f".{key}.lock"):
        if ready.exists():
            echo(f"Reusing the conda environment at {prefix}")
            return prefix
        shutil.rmtree(prefix, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="runwell-conda-") as scratch:
            env_file = Path(scratch) / CONDA_ENV_FILE
            env_file.write_text(text, encoding="utf-8")
            create = [conda, "env", "create", "--prefix", str(prefix), "--file", str(env_file)]
            _run(create, "conda env create", echo)
        if installer:
            pip = [conda, "run", "--prefix", str(prefix), "python", "-m", "pip", "install"]
            _run([*pip, *installer], "Installing runwell into the conda environment", echo)
        ready.write_text(str(prefix), encoding="utf-8")
    echo(f"Created the conda environment at {prefix}")
    return prefix


def conda_command(conda: str, prefix: Path, args: list[str]) -> list[str]:
    """The command running ``runwell ARGS`` inside the conda environment at ``prefix``."""
    run = [conda, "run", "--no-capture-output", "--prefix", str(prefix)]
    return [*run, "python", "-c", BOOTSTRAP, *args]


def virtualenv_command(env_dir: Path, args: list[str]) -> list[str]:
    """The command running ``runwell ARGS`` with the virtualenv's interpreter."""
    return [str(env_python(env_dir)), "-c", BOOTSTRAP, *args]
