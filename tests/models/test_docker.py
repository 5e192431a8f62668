"""``runwell models generate-dockerfile`` and ``build-docker`` (no Docker engine runs here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runwell.cli import main
from runwell.errors import InvalidArgument
from runwell.models import docker
from tests.models.model_builders import save_logistic


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return save_logistic(tmp_path / "model")


def test_generated_context_serves_the_model_on_8080(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "image"
    result = invoke("models", "generate-dockerfile", "-m", str(model_dir), "-d", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"docker build -t NAME {out}" in result.stdout
    text = (out / "Dockerfile").read_text()
    lines = text.splitlines()
    assert lines[1] == "FROM python:3.11-slim"  # the model's python_env.yaml says 3.11.x
    assert "COPY runwell-src/ /opt/runwell/runwell-src/" in lines
    assert "RUN pip install -r /opt/runwell/requirements.txt runwell-src/" in lines
    assert "COPY model/ /opt/runwell/model/" in lines
    assert "EXPOSE 8080" in lines
    assert lines[-1] == (
        'ENTRYPOINT ["runwell", "models", "serve", "--model-uri", "/opt/runwell/model", '
        '"--host", "0.0.0.0", "--port", "8080", "--env-manager", "local"]'
    )
    # Dependencies install before the model is copied, so model changes keep that layer.
    assert text.index("RUN pip install") < text.index("COPY model/ /opt/runwell/model/")
    # The model is copied whole; the image installs its requirements minus the runwell line.
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(
        p.name for p in (out / "model").iterdir() if p.name != "requirements.serving.txt"
    )
    serving = (out / "model" / "requirements.serving.txt").read_text().split()
    assert any(line.startswith("scikit-learn==") for line in serving)
    assert not any(line.startswith("runwell") for line in serving)
    # This runwell's source goes along, without caches.
    assert (out / "runwell-src" / "pyproject.toml").is_file()
    assert (out / "runwell-src" / "src" / "runwell" / "cli" / "models.py").is_file()
    assert not list((out / "runwell-src").rglob("__pycache__"))


def test_a_released_runwell_is_installed_by_version() -> None:
    text = docker.dockerfile_text("3.12.1", "runwell==0.1.0", has_requirements=True)
    assert "FROM python:3.12-slim" in text
    assert "RUN pip install -r /opt/runwell/requirements.txt runwell==0.1.0" in text
    assert "runwell-src" not in text


def test_generate_refuses_a_non_empty_directory(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "image"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("models", "generate-dockerfile", "-m", str(model_dir), "-d", str(out))
    assert result.exit_code == 1
    assert "exists and is not empty" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_generate_of_a_missing_model_exits_3(tmp_path: Path) -> None:
    result = invoke("models", "generate-dockerfile", "-m", str(tmp_path / "none"), "-d", "out")
    assert result.exit_code == 3
    assert "does not exist" in result.stderr


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker client")
def test_build_docker_without_an_engine_says_so_clearly(model_dir: Path, tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    result = invoke("models", "build-docker", "-m", str(model_dir), "-n", "my-model:1", env=env)
    assert result.exit_code == 4
    assert "No Docker engine answers" in result.stderr
    assert "generate-dockerfile" in result.stderr


def test_build_docker_without_a_client_says_so(model_dir: Path, tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty-bin")}
    result = invoke("models", "build-docker", "-m", str(model_dir), env=env)
    assert result.exit_code == 4
    assert "`docker` is not installed" in result.stderr


@pytest.mark.parametrize("name", ["My-Model", "model:", "-x", "a b"])
def test_image_names_are_checked(name: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid image name"):
        docker.check_image_name(name)


def test_image_name_error_comes_before_any_docker_call(model_dir: Path) -> None:
    result = invoke("models", "build-docker", "-m", str(model_dir), "-n", "Bad Name")
    assert result.exit_code == 1
    assert "Invalid image name 'Bad Name'" in result.stderr
