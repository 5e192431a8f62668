"""Projects in real virtualenvs built by uv (slow): python_env.yaml, conda.yaml's pip list.

The dependency is a tiny wheel made here, so the builds need no package index; the test that
asks for runwell gets this checkout (editable), as a project listing ``runwell`` would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
import zipfile
from pathlib import Path

import pytest

import runwell
import runwell.projects
from tests.projects.builders import REPORTER, make_project, run_of

pytestmark = pytest.mark.slow


def tiny_wheel(directory: Path, name: str = "tinydep", version: str = "0.1") -> Path:
    """A pure-Python wheel whose module holds ``VALUE = 42``."""
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "VALUE = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"  # this one: no download
SHOW = "python -c 'import json, sys, tinydep; print(json.dumps([tinydep.VALUE, sys.prefix]))'"


@pytest.fixture(scope="module")
def env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One environment cache for the module: later tests may reuse what earlier ones built."""
    return tmp_path_factory.mktemp("project-envs")


@pytest.fixture(autouse=True)
def _env_root(env_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_ENV_ROOT", str(env_root))


def stdout_of(run_id: str) -> str:
    path = runwell.RunwellClient().download_artifacts(run_id, "project-logs/stdout.txt")
    return Path(path).read_text()


def test_python_env_is_built_once_then_reused(
    tmp_path: Path, env_root: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    wheel = tiny_wheel(tmp_path / "wheels")
    project = make_project(
        tmp_path / "p",
        f'python_env: python_env.yaml\nentry_points:\n  main:\n    command: "{SHOW}"\n',
        {
            "python_env.yaml": f"python: '{PYTHON}'\ndependencies: ['-r requirements.txt']\n",
            "requirements.txt": f"tinydep @ {wheel.as_uri()}\n",
        },
    )
    first = runwell.projects.run(str(project))
    value, prefix = json.loads(stdout_of(first.run_id))
    assert value == 42
    assert Path(prefix).parent == env_root
    assert run_of(first.run_id).data.tag_dict["mlflow.project.env"] == "virtualenv"
    assert "Created the environment" in capfd.readouterr().err

    started = time.perf_counter()
    second = runwell.projects.run(str(project), env_manager="uv")
    elapsed = time.perf_counter() - started
    assert json.loads(stdout_of(second.run_id)) == [42, prefix]
    assert "Reusing the environment" in capfd.readouterr().err
    print(f"second run: {elapsed:.2f} s")
    assert elapsed < 3.0, f"a cached environment took {elapsed:.2f} s to run"
    assert run_of(second.run_id).data.tag_dict["mlflow.project.env"] == "uv"


def test_conda_yaml_pip_list_builds_a_virtualenv(tmp_path: Path, env_root: Path) -> None:
    wheel = tiny_wheel(tmp_path / "wheels")
    conda = (
        f"dependencies:\n  - python={PYTHON}\n  - numpy\n"
        f"  - pip:\n    - tinydep @ {wheel.as_uri()}\n"
    )
    project = make_project(
        tmp_path / "p",
        f'conda_env: conda.yaml\nentry_points:\n  main:\n    command: "{SHOW}"\n',
        {"conda.yaml": conda},
    )
    submitted = runwell.projects.run(str(project), env_manager="virtualenv")
    value, prefix = json.loads(stdout_of(submitted.run_id))
    assert value == 42 and Path(prefix).parent == env_root


def test_a_conda_project_without_conda_runs_in_a_virtualenv_from_its_pip_list(
    tmp_path: Path,
    env_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """No conda installed: a conda_env project runs anyway, saying once what it does."""
    empty = tmp_path / "bin"
    empty.mkdir()
    for tool in ("bash", "env"):  # what the project's command needs; no conda on PATH
        (empty / tool).symlink_to(f"/usr/bin/{tool}" if tool == "env" else "/bin/bash")
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("CONDA_EXE", raising=False)
    wheel = tiny_wheel(tmp_path / "wheels")
    conda = (
        f"name: demo\ndependencies:\n  - python={PYTHON}\n  - numpy\n"
        f"  - pip:\n    - tinydep @ {wheel.as_uri()}\n"
    )
    project = make_project(
        tmp_path / "p",
        f'conda_env: conda.yaml\nentry_points:\n  main:\n    command: "{SHOW}"\n',
        {"conda.yaml": conda},
    )
    submitted = runwell.projects.run(str(project))
    err = capfd.readouterr().err
    assert "no conda, mamba or micromamba is installed: using --env-manager virtualenv" in err
    assert "pip dependencies of conda.yaml" in err
    value, prefix = json.loads(stdout_of(submitted.run_id))
    assert value == 42 and Path(prefix).parent == env_root
    assert run_of(submitted.run_id).data.tag_dict["mlflow.project.env"] == "virtualenv"


def test_a_project_listing_runwell_logs_from_its_own_environment(
    tmp_path: Path, env_root: Path
) -> None:
    project = make_project(
        tmp_path / "p",
        "python_env: python_env.yaml\nentry_points:\n  main:\n"
        "    parameters: {name: string}\n    command: python report.py --name {name}\n",
        {"python_env.yaml": "dependencies: [runwell==0.0.1]\n", "report.py": REPORTER},
    )
    submitted = runwell.projects.run(str(project), parameters={"name": "venv"})
    run = run_of(submitted.run_id)
    assert run.data.metric_dict == {"ran": 1.0}
    assert Path(run.data.tag_dict["child.python"]).parent.parent.parent == env_root
    assert json.loads(run.data.tag_dict["child.argv"]) == ["--name", "venv"]
