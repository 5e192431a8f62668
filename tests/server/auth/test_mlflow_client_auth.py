"""MLflow's own client against a ``--auth`` server: MLFLOW_TRACKING_USERNAME/PASSWORD and
MLFLOW_TRACKING_TOKEN both work for the whole tracking flow; no credentials fail cleanly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from runwell.entities.auth import ResourceType
from tests.mlflow_server import MLFLOW_PYTHON, mlflow_client_env
from tests.server.auth.conftest import PASSWORD, Secured
from tests.server.test_mlflow_client import FLOWS


def _flow(secured: Secured, work: Path, **credentials: str) -> subprocess.CompletedProcess[str]:
    env = mlflow_client_env(secured.url, **credentials)
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(MLFLOW_PYTHON), str(FLOWS / "basic_flow.py"), str(work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_mlflow_client_with_username_and_password(secured: Secured, tmp_path: Path) -> None:
    secured.user("mlflow-user")
    done = _flow(
        secured,
        tmp_path / "work",
        MLFLOW_TRACKING_USERNAME="mlflow-user",
        MLFLOW_TRACKING_PASSWORD=PASSWORD,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "FINISHED"
    assert seen["one"] == "hello from mlflow"
    experiment = secured.live.store.find_experiment_by_name("interop")
    assert experiment is not None
    user = secured.store.get_user("mlflow-user")
    explicit, _default = secured.store.permission(
        user.id, ResourceType.EXPERIMENT, experiment.experiment_id
    )
    assert explicit is not None and explicit.name == "MANAGE"


@pytest.mark.slow
def test_mlflow_client_with_a_token_and_without_credentials(
    secured: Secured, tmp_path: Path
) -> None:
    client = secured.user("token-user")
    secret = client.post("/api/2.0/runwell/tokens/create", json={"name": "flow"}).json()["secret"]
    done = _flow(secured, tmp_path / "token", MLFLOW_TRACKING_TOKEN=secret)
    assert done.returncode == 0, done.stderr[-5000:]
    refused = _flow(secured, tmp_path / "anonymous")
    assert refused.returncode != 0
    assert "UNAUTHENTICATED" in refused.stderr or "401" in refused.stderr
