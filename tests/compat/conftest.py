"""Two servers for the differential suite: ``runwell server`` and ``mlflow server``.

Both run as child processes on fresh SQLite stores, each in its own working directory, with
artifacts proxied to a local folder; each is started once per module (MLflow takes seconds).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.cli_process import run_server

MLFLOW = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "mlflow"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A stock ``mlflow server`` from .venv-mlflow."""
    if not MLFLOW.exists():
        pytest.skip("needs .venv-mlflow (make mlflow-env)")
    home = tmp_path_factory.mktemp("mlflow-compat")
    port = _free_port()
    log_path = home / "mlflow.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(MLFLOW),
                "server",
                "--backend-store-uri",
                f"sqlite:///{home}/mlflow.db",
                "--artifacts-destination",
                str(home / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-2000:])
                time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


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
