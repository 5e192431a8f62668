"""runwell.models.prepare_env and ``runwell models prepare-env``: real virtualenvs built by uv.

The slow tests build real environments under a temporary RUNWELL_ENV_ROOT from a PythonModel
that needs only numpy, pandas and cloudpickle (plus runwell, installed from this checkout).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import runwell.pyfunc
from runwell.errors import NotFound
from runwell.models import prepare_env
from tests.models.model_builders import RUNWELL, free_port, save_logistic, stop, wait_for_ping


class Doubler(runwell.pyfunc.PythonModel):
    def predict(self, context: object, model_input: object, params: object = None) -> object:
        return model_input * 2  # type: ignore[operator]


DOUBLER = """
import runwell.pyfunc

class Doubler(runwell.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2
"""


def save_light_model(path: Path) -> Path:
    """A PythonModel whose class ships in code/, so the model's own environment can load it."""
    source = path.parent / "doubler_code" / "doubler_model.py"
    source.parent.mkdir(exist_ok=True)
    source.write_text(DOUBLER)
    sys.path.insert(0, str(source.parent))
    try:
        module = importlib.import_module("doubler_model")
        runwell.pyfunc.save_model(
            str(path),
            python_model=module.Doubler(),
            code_paths=[str(source)],
            pip_requirements=["numpy", "pandas", "cloudpickle"],
        )
    finally:
        sys.path.remove(str(source.parent))
        sys.modules.pop("doubler_model", None)
    return path


@pytest.fixture(scope="module")
def env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module, so later tests reuse what earlier ones built."""
    return tmp_path_factory.mktemp("envs")


def run_cli(*args: str, root: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNWELL_ENV_ROOT": str(root)}
    return subprocess.run(
        [RUNWELL, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


# ------------------------------------------------------------------ pure parts


def test_spec_drops_the_runwell_line_and_anchors_file_options(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    (model / "requirements.txt").write_text(
        "# pinned\nrunwell==0.1.0\nrunwell[extra]>=0.1\nrunwell-plugin==1\nnumpy==2.0\n"
        "-c constraints.txt\n\n"
    )
    (model / "python_env.yaml").write_text("python: 3.9.1\ndependencies: [-r requirements.txt]\n")
    spec = prepare_env.read_env_spec(model)
    assert spec.python == "3.9.1"
    assert spec.requirements == (
        "runwell-plugin==1",
        "numpy==2.0",
        f"-c {(model / 'constraints.txt').resolve()}",
    )


def test_spec_without_requirements_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no requirements\.txt.*--env-manager local"):
        prepare_env.read_env_spec(tmp_path)


def test_env_key_depends_on_python_requirements_and_runwell_only() -> None:
    key = prepare_env.env_key("3.11.7", ["numpy", "pandas"], ["-e", "/src"])
    assert key == prepare_env.env_key("3.11.7", ["pandas", "numpy"], ["-e", "/src"])
    assert key != prepare_env.env_key("3.12.0", ["numpy", "pandas"], ["-e", "/src"])
    assert key != prepare_env.env_key("3.11.7", ["numpy"], ["-e", "/src"])
    assert key != prepare_env.env_key("3.11.7", ["numpy", "pandas"], ["runwell==1"])


def test_uv_is_found_beside_the_interpreter_first() -> None:
    found = prepare_env.find_uv()
    assert found == str(Path(sys.executable).parent / "uv")


def test_runwell_from_a_checkout_installs_editable() -> None:
    requirement = prepare_env.runwell_requirement()
    assert requirement[0] == "-e"
    assert (Path(requirement[1]) / "pyproject.toml").is_file()


def test_env_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RUNWELL_ENV_ROOT", str(tmp_path / "cache"))
    assert prepare_env.env_root() == tmp_path / "cache"
    monkeypatch.delenv("RUNWELL_ENV_ROOT")
    assert prepare_env.env_root() == Path.home() / ".runwell" / "envs"


# ------------------------------------------------------------------ real environments


@pytest.mark.slow
def test_prepare_env_builds_once_then_reuses(env_root: Path, tmp_path: Path) -> None:
    model = save_light_model(tmp_path / "light")
    first = run_cli("models", "prepare-env", "-m", str(model), root=env_root)
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.strip())
    assert path.parent == env_root and "Created the environment" in first.stderr
    check = subprocess.run(
        [str(path / "bin" / "python"), "-c", "import numpy, pandas, cloudpickle, runwell"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    second = run_cli("models", "prepare-env", "-m", str(model), root=env_root, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == str(path)
    assert "Reusing the environment" in second.stderr and "uv venv" not in second.stderr
    assert not [p for p in env_root.iterdir() if p.is_dir() and p.name.startswith(".")]


@pytest.mark.slow
def test_concurrent_prepares_share_one_environment(tmp_path: Path) -> None:
    root = tmp_path / "envs"
    model = save_light_model(tmp_path / "light")
    env = {**os.environ, "RUNWELL_ENV_ROOT": str(root)}
    command = [RUNWELL, "models", "prepare-env", "-m", str(model)]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [o[1] for o in outputs]
    paths = {o[0].decode().strip() for o in outputs}
    assert len(paths) == 1
    created = sum("Created the environment" in o[1].decode() for o in outputs)
    assert created == 1
    # Only the environment and its lock remain: no half-built directories.
    path = Path(paths.pop())
    assert sorted(p.name for p in root.iterdir()) == sorted([path.name, f".{path.name}.lock"])


@pytest.mark.slow
def test_a_failed_install_leaves_nothing_in_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "envs"
    model = tmp_path / "broken"
    runwell.pyfunc.save_model(
        str(model), python_model=Doubler(), pip_requirements=["no-such-package-runwell-xyz==0.0.1"]
    )
    done = run_cli("models", "prepare-env", "-m", str(model), root=root)
    assert done.returncode == 1
    assert "Installing the requirements failed" in done.stderr
    assert "no-such-package-runwell-xyz" in done.stderr
    assert [p.name for p in root.iterdir() if not p.name.endswith(".lock")] == []


@pytest.mark.slow
def test_serve_with_virtualenv_answers_from_the_models_environment(
    env_root: Path, tmp_path: Path
) -> None:
    model = save_logistic(tmp_path / "model")
    port = free_port()
    env = {**os.environ, "RUNWELL_ENV_ROOT": str(env_root)}
    process = subprocess.Popen(
        [RUNWELL, "models", "serve", "-m", str(model), "-p", str(port), "--env-manager", "uv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_for_ping(process, port, limit_s=300)
        version = httpx.get(f"http://127.0.0.1:{port}/version", timeout=5)
        assert version.status_code == 200
        body = {"dataframe_records": [{"a": 0.0, "b": 19.0}, {"a": 19.0, "b": 0.0}]}
        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=10)
        assert answer.json() == {"predictions": [0, 1]}
        # The server is the environment's interpreter (exec kept the PID).
        exe = os.readlink(f"/proc/{process.pid}/exe")
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[0].decode().startswith(str(env_root)), (exe, cmdline)
    finally:
        stop(process)


@pytest.mark.slow
def test_predict_with_virtualenv_writes_the_output(env_root: Path, tmp_path: Path) -> None:
    import pandas as pd

    model = save_light_model(tmp_path / "light")
    pd.DataFrame({"x": [1.0, 2.5]}).to_csv(tmp_path / "in.csv", index=False)
    done = run_cli(
        "models",
        "predict",
        "-m",
        str(model),
        "-i",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        "--env-manager",
        "virtualenv",
        root=env_root,
    )
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(tmp_path / "out.csv")["x"].tolist() == [2.0, 5.0]
