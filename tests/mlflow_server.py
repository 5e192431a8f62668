"""A stock ``mlflow server`` from .venv-mlflow on a free loopback port, for tests that compare.

with mlflow_server(home, f"sqlite:///{home}/mlflow.db", artifacts=home / "artifacts") as url:
    httpx.get(url + "/health")
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

MLFLOW = Path(__file__).resolve().parents[1] / ".venv-mlflow" / "bin" / "mlflow"
MLFLOW_PYTHON = MLFLOW.with_name("python")


def mlflow_client_env(tracking_uri: str, **extra: str) -> dict[str, str]:
    """The environment for MLflow's client in a subprocess, pointed at ``tracking_uri``
    (this process's MLFLOW_/RUNWELL_/PYTHON* settings left out). Skips the test without
    .venv-mlflow, and fails it in CI, which must have it."""
    import pytest

    if not MLFLOW_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{MLFLOW_PYTHON} is missing (CI requires it: make mlflow-env)")
        pytest.skip(f"{MLFLOW_PYTHON} is missing: run `make mlflow-env`")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "RUNWELL_", "PYTHON"))
    }
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        # A 5xx from the server should fail the flow, not be retried for minutes.
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="60",
        GIT_PYTHON_REFRESH="quiet",
        **extra,
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def mlflow_server(
    home: Path, backend_uri: str, *, artifacts: Path | None = None, limit_s: float = 120
) -> Iterator[str]:
    """Serve ``backend_uri`` with one worker, its log in ``home``; yields the server's URL.

    Raises:
        RuntimeError: it exited or did not answer /health within ``limit_s`` (the log's tail).
    """
    port = _free_port()
    command = [str(MLFLOW), "server", "--backend-store-uri", backend_uri]
    if artifacts is not None:
        command += ["--artifacts-destination", str(artifacts)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    log_path = home / "mlflow-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + limit_s
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
