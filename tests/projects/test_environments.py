"""Env managers: the default choice, conda and docker through small recording executables.

conda and a Docker engine cannot be installed here, so ``conda`` and ``docker`` are tiny bash
scripts put first on PATH: they write their arguments to a log and do the least a real one
would (make a prefix, run the command), so the real runwell code paths run end to end.
"""

from __future__ import annotations

import os
import shlex
import textwrap
from pathlib import Path

import pytest

import runwell
import runwell.projects
from runwell.errors import InvalidArgument, InvalidState
from runwell.projects.docker import docker_command, docker_engine, docker_options
from runwell.projects.environments import choose_manager
from runwell.projects.spec import DockerEnv, load_project
from tests.projects.builders import all_runs, make_project, run_of

FAKE_CONDA = textwrap.dedent(
    """\
    #!/bin/bash
    echo "$*" >> "{log}"
    if [ "$1" = env ] && [ "$2" = create ]; then
      while [ $# -gt 0 ]; do
        case "$1" in --prefix) prefix="$2"; shift;; --file) file="$2"; shift;; esac; shift
      done
      mkdir -p "$prefix/bin" && cp "$file" "$prefix/env-file.yaml"; exit 0
    fi
    if [ "$1" = run ]; then
      shift
      while [ $# -gt 0 ]; do
        case "$1" in --no-capture-output) shift;; --prefix) prefix="$2"; shift 2;; *) break;; esac
      done
      if [ "$1" = python ]; then exit 0; fi   # pip installs: recorded, not done
      export CONDA_PREFIX="$prefix"; exec "$@"
    fi
    exit 2
    """
)

FAKE_DOCKER = textwrap.dedent(
    """\
    #!/bin/bash
    echo "$*" >> "{log}"
    case "$1" in
      version) {version}; exit 0;;
      build) exit 0;;
      run) shift
        while [ $# -gt 0 ]; do
          case "$1" in
            --rm) shift;;
            -e) export "$2"; shift 2;;
            -*) shift 2;;
            *) break;;
          esac
        done
        shift; exec "$@";;
    esac
    exit 2
    """
)


def fake_tool(directory: Path, name: str, text: str) -> Path:
    """An executable ``name`` in ``directory``; returns the log file it writes to."""
    directory.mkdir(exist_ok=True)
    log = directory / f"{name}.log"
    path = directory / name
    path.write_text(text.replace("{log}", str(log)))
    path.chmod(0o755)
    return log


@pytest.fixture(autouse=True)
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RUNWELL_ENV_ROOT", str(tmp_path / "envs"))
    monkeypatch.delenv("CONDA_EXE", raising=False)
    return bin_dir


def project_with(tmp_path: Path, env_text: str, files: dict[str, str]) -> Path:
    mlproject = env_text + "entry_points:\n  main:\n    command: echo prefix=$CONDA_PREFIX\n"
    return make_project(tmp_path / "p", mlproject, files)


def test_the_default_manager_follows_the_project(
    tmp_path: Path, fake_bin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_tool(fake_bin, "conda", FAKE_CONDA)
    said: list[str] = []
    cases = {
        "python_env": ("python_env: e.yaml\n", {"e.yaml": "{}\n"}, "virtualenv"),
        "conda_env": ("conda_env: c.yaml\n", {"c.yaml": "{}\n"}, "conda"),
        "docker_env": ("docker_env: {image: python:3.11}\n", {}, "docker"),
        "none": ("name: plain\n", {}, "local"),
    }
    for name, (text, files, expected) in cases.items():
        spec = load_project(make_project(tmp_path / name, text, files))
        assert choose_manager(spec, None, said.append) == expected
        assert choose_manager(spec, "local", said.append) == "local"
    assert said[-1] == "The project declares no environment: using --env-manager local."
    assert said[0] == "The project declares python_env: using --env-manager virtualenv."
    # Where no conda is installed, a conda_env project gets a virtualenv, and is told so.
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    spec = load_project(tmp_path / "conda_env")
    assert choose_manager(spec, None, said.append) == "virtualenv"
    assert "no conda, mamba or micromamba is installed: using --env-manager virtualenv" in said[-1]
    assert choose_manager(spec, "conda", said.append) == "conda"  # asked for: tried, and fails


@pytest.mark.parametrize(
    ("text", "files", "manager", "message"),
    [
        ("python_env: e.yaml\n", {"e.yaml": "{}\n"}, "conda", "use --env-manager virtualenv"),
        ("name: x\n", {}, "docker", "needs a docker_env section"),
        ("docker_env: {image: x}\n", {}, "virtualenv", "does not apply"),
        ("name: x\n", {}, "poetry", "Invalid env manager 'poetry'"),
    ],
)
def test_managers_that_do_not_fit_are_refused(
    tmp_path: Path, text: str, files: dict[str, str], manager: str, message: str
) -> None:
    spec = load_project(make_project(tmp_path / "p", text, files))
    with pytest.raises(InvalidArgument, match=message):
        choose_manager(spec, manager, print)


CONDA_YAML = textwrap.dedent(
    """\
    name: demo
    dependencies:
      - python=3.11
      - pip:
        - requests
        - runwell>=0.1
    """
)


def test_conda_projects_run_through_conda_and_reuse_the_env(tmp_path: Path, fake_bin: Path) -> None:
    log = fake_tool(fake_bin, "conda", FAKE_CONDA)
    project = project_with(tmp_path, "conda_env: conda.yaml\n", {"conda.yaml": CONDA_YAML})
    first = runwell.projects.run(str(project))
    second = runwell.projects.run(str(project))

    calls = log.read_text().splitlines()
    creates = [c for c in calls if c.startswith("env create")]
    assert len(creates) == 1  # the second run found the environment in the cache
    prefix = Path(shlex.split(creates[0])[3])
    assert prefix.is_relative_to(tmp_path / "envs")
    built = (prefix / "env-file.yaml").read_text()
    assert "requests" in built and "runwell" not in built  # runwell comes from this checkout
    assert any(c.startswith(f"run --prefix {prefix} python -m pip install") for c in calls)
    runs = [c for c in calls if c.startswith("run --no-capture-output")]
    assert (
        runs == [f"run --no-capture-output --prefix {prefix} bash -c echo prefix=$CONDA_PREFIX"] * 2
    )
    for submitted in (first, second):
        assert run_of(submitted.run_id).data.tag_dict["mlflow.project.env"] == "conda"
    stdout = runwell.RunwellClient().download_artifacts(first.run_id, "project-logs/stdout.txt")
    assert Path(stdout).read_text() == f"prefix={prefix}\n"


def test_asking_for_conda_without_conda_names_the_virtualenv_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_bin: Path
) -> None:
    """Asked for by name, conda is required; left to the project, a virtualenv replaces it
    (tests/projects/test_virtualenv.py)."""
    monkeypatch.setenv("PATH", str(fake_bin))  # no conda, mamba or micromamba anywhere
    monkeypatch.delenv("CONDA_EXE", raising=False)
    project = project_with(tmp_path, "conda_env: conda.yaml\n", {"conda.yaml": CONDA_YAML})
    with pytest.raises(InvalidState, match="--env-manager virtualenv"):
        runwell.projects.run(str(project), env_manager="conda")
    assert all_runs() == []


def test_without_a_docker_engine_docker_projects_fail_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_bin: Path
) -> None:
    project = project_with(tmp_path, "docker_env: {image: 'python:3.11'}\n", {})
    fake_tool(fake_bin, "docker", FAKE_DOCKER.replace("{version}", "echo down >&2; exit 1"))
    with pytest.raises(InvalidState, match=r"No Docker engine answers \(down\)"):
        runwell.projects.run(str(project))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(InvalidState, match=r"No Docker engine: .* `docker` is not on PATH"):
        docker_engine()
    assert all_runs() == []


def test_docker_projects_run_in_the_image(tmp_path: Path, fake_bin: Path) -> None:
    log = fake_tool(fake_bin, "docker", FAKE_DOCKER.replace("{version}", "echo 27.0"))
    text = (
        "docker_env:\n  image: python:3.11\n  volumes: ['/data:/data']\n"
        "  environment: [[MODE, x]]\n"
    )
    project = make_project(
        tmp_path / "p", text + "entry_points:\n  main:\n    command: echo run=$RUNWELL_RUN_ID\n", {}
    )
    submitted = runwell.projects.run(str(project), docker_args={"gpus": "all"})
    calls = log.read_text().splitlines()
    run_call = next(c for c in calls if c.startswith("run "))
    assert f"-v {project.resolve()}:/runwell/projects/code" in run_call
    assert "-v /data:/data" in run_call and "-e MODE=x" in run_call and "--gpus all" in run_call
    assert f"-e RUNWELL_RUN_ID={submitted.run_id}" in run_call
    tags = run_of(submitted.run_id).data.tag_dict
    assert (tags["mlflow.project.env"], tags["mlflow.docker.image.uri"]) == (
        "docker",
        "python:3.11",
    )
    out = runwell.RunwellClient().download_artifacts(submitted.run_id, "project-logs/stdout.txt")
    assert Path(out).read_text() == f"run={submitted.run_id}\n"

    built = runwell.projects.run(str(project), build_image=True)
    assert any(c.startswith("build -t runwell-project:") for c in log.read_text().splitlines())
    image = run_of(built.run_id).data.tag_dict["mlflow.docker.image.uri"]
    assert image.startswith("runwell-project:")


def test_docker_argv_is_built_from_the_spec() -> None:
    env = DockerEnv(image="img", volumes=("/a:/b",), environment=("HOME", ("K", "v")))
    argv = docker_command(
        "docker",
        "img",
        env,
        "python x.py",
        project_dir=Path("/p"),
        run_env={"RUNWELL_RUN_ID": "r1"},
        tracking_uri="sqlite:////srv/db/runwell.db",
        docker_args={"privileged": True, "m": "2g"},
    )
    assert argv == [
        "docker", "run", "--rm", "-w", "/runwell/projects/code",
        "-v", "/p:/runwell/projects/code", "-v", "/srv/db:/srv/db", "-v", "/a:/b",
        "-e", "RUNWELL_RUN_ID=r1", "-e", "HOME", "-e", "K=v",
        "--privileged", "-m", "2g", "img", "bash", "-c", "python x.py",
    ]  # fmt: skip
    with pytest.raises(InvalidArgument, match="Invalid docker argument '--x'"):
        docker_options({"--x": "1"})
