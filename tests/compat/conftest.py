"""Two servers for the differential suite: ``runwell server`` and ``mlflow server``.

Both run as child processes on fresh SQLite stores, each in its own working directory, with
artifacts proxied to a local folder; each is started once per module (MLflow takes seconds).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mlflow_server import MLFLOW, mlflow_server
from tests.server.cli_process import run_server


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A stock ``mlflow server`` from .venv-mlflow."""
    if not MLFLOW.exists():
        pytest.skip("needs .venv-mlflow (make mlflow-env)")
    home = tmp_path_factory.mktemp("mlflow-compat")
    backend = f"sqlite:///{home}/mlflow.db"
    with mlflow_server(home, backend, artifacts=home / "artifacts") as url:
        yield url


@pytest.fixture(scope="module")
def runwell_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``runwell server`` from this checkout, started the way users start it."""
    home = tmp_path_factory.mktemp("runwell-compat")
    with run_server(
        home,
        "--backend-store-uri",
        f"sqlite:///{home}/runwell.db",
        "--artifacts-destination",
        str(home / "artifacts"),
        timeout_s=60,
    ) as server:
        yield server.url
