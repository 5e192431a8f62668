"""Running a ``docker_env`` project in a container.

The project directory is mounted at ``/runwell/projects/code`` (the working directory) of a
container of the project's image; with ``build_image`` an image holding a copy of the project is
built first (``FROM <image>``, tagged ``<project name>:<commit or content hash>``) and run
without the mount. The run's RUNWELL_*/MLFLOW_* variables are passed in; a local (SQLite)
tracking store is mounted at its own path, so the URI means the same inside. ``volumes`` and
``environment`` come from the MLproject file, ``docker_args`` from the caller
(``{"gpus": "all", "rm": True}`` -> ``--gpus all --rm``).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from runwell.errors import InvalidArgument, InvalidState
from runwell.projects.spec import DockerEnv

CODE_DIR = "/runwell/projects/code"
_TAG_CHARS = re.compile(r"[^a-z0-9._-]+")


def docker_engine() -> str:
    """The docker client, once a Docker engine has answered it.

    Raises:
        InvalidState: docker is not installed, or no engine answers it.
    """
    client = shutil.which("docker")
    advice = "or run the project with --env-manager local."
    if client is None:
        raise InvalidState(
            "No Docker engine: the project declares docker_env, and `docker` is not on PATH. "
            f"Install Docker, {advice}"
        )
    try:
        probe = subprocess.run(
            [client, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        detail = (probe.stderr.strip().splitlines() or [""])[-1]
        answered = probe.returncode == 0 and bool(probe.stdout.strip())
    except subprocess.TimeoutExpired:
        detail, answered = "timed out", False
    if not answered:
        raise InvalidState(
            f"No Docker engine answers ({detail or 'no server'}): the project declares "
            f"docker_env. Start the Docker daemon (or set DOCKER_HOST), {advice}"
        )
    return client


def image_tag(project_name: str | None, project_dir: Path, commit: str | None) -> str:
    """``<name>:<commit[:12]>``, or a hash of the project's file names and sizes."""
    name = _TAG_CHARS.sub("-", (project_name or "runwell-project").lower()).strip("-.")
    if commit:
        return f"{name or 'runwell-project'}:{commit[:12]}"
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(project_dir)}:{path.stat().st_size}".encode())
    return f"{name or 'runwell-project'}:{digest.hexdigest()[:12]}"


def build_project_image(
    client: str, base_image: str, project_dir: Path, tag: str, echo: Callable[[str], None]
) -> str:
    """Build ``tag`` (FROM ``base_image``, the project copied into CODE_DIR); return ``tag``.

    Raises:
        InvalidState: ``docker build`` failed.
    """
    dockerfile = f"FROM {base_image}\nCOPY . {CODE_DIR}/\nWORKDIR {CODE_DIR}\n"
    with tempfile.TemporaryDirectory(prefix="runwell-image-") as scratch:
        path = Path(scratch, "Dockerfile")
        path.write_text(dockerfile, encoding="utf-8")
        command = [client, "build", "-t", tag, "-f", str(path), str(project_dir)]
        echo("$ " + " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise InvalidState(f"docker build of {tag} failed (exit {done.returncode}):\n{tail}")
    return tag


def docker_options(docker_args: Mapping[str, Any] | None) -> list[str]:
    """``{"gpus": "all", "rm": True}`` -> ``["--gpus", "all", "--rm"]``.

    Raises:
        InvalidArgument: a key that is not an option name.
    """
    options: list[str] = []
    for key, value in (docker_args or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", key):
            raise InvalidArgument(f"Invalid docker argument '{key}': expected an option name.")
        flag = f"-{key}" if len(key) == 1 else f"--{key}"
        if value is True or value == "" or value is None:
            options.append(flag)
        elif value is not False:
            options += [flag, str(value)]
    return options


def _store_mounts(tracking_uri: str) -> list[str]:
    parsed = urlparse(tracking_uri)
    if parsed.scheme == "sqlite":
        directory = str(Path(tracking_uri.split(":///", 1)[1]).parent)
        return ["-v", f"{directory}:{directory}"]
    return []


def docker_command(
    client: str,
    image: str,
    docker_env: DockerEnv,
    command: str,
    *,
    project_dir: Path | None,
    run_env: Mapping[str, str],
    tracking_uri: str,
    docker_args: Mapping[str, Any] | None,
) -> list[str]:
    """The ``docker run`` argv for ``command`` (project mounted unless ``project_dir`` is None)."""
    argv = [client, "run", "--rm", "-w", CODE_DIR]
    if project_dir is not None:
        argv += ["-v", f"{project_dir}:{CODE_DIR}"]
    argv += _store_mounts(tracking_uri)
    for volume in docker_env.volumes:
        argv += ["-v", volume]
    for name, value in run_env.items():
        argv += ["-e", f"{name}={value}"]
    for entry in docker_env.environment:
        argv += ["-e", entry if isinstance(entry, str) else f"{entry[0]}={entry[1]}"]
    argv += docker_options(docker_args)
    return [*argv, image, "bash", "-c", command]
