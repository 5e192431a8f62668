"""A model saved with runwell.pyfunc, loaded back and served: signature, params, workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import runwell.pyfunc
from runwell.models import infer_signature
from runwell.scoring import build_app
from tests.live_server import serve

COLUMNS = ["a", "b"]


class Classifier(runwell.pyfunc.PythonModel):
    """A fitted LogisticRegression; ``params={"proba": true}`` answers probabilities."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        if params and params.get("proba"):
            return self.model.predict_proba(model_input)[:, 1]
        return self.model.predict(model_input)


@pytest.fixture
def saved_model(tmp_path: Path) -> Path:
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    labels = [0, 0, 1, 1]
    estimator = LogisticRegression().fit(frame, labels)
    path = tmp_path / "clf"
    signature = infer_signature(frame, estimator.predict(frame), params={"proba": False})
    runwell.pyfunc.save_model(path, python_model=Classifier(estimator), signature=signature)
    return path


def test_saved_pyfunc_model_is_served_with_its_signature(saved_model: Path) -> None:
    model = runwell.pyfunc.load_model(str(saved_model))
    with serve(build_app(model)) as url:
        body = {"dataframe_split": {"columns": COLUMNS, "data": [[0, 1], [3, 0]]}}
        response = httpx.post(f"{url}/invocations", json=body)
        assert response.json() == {"predictions": [0, 1]}

        body["params"] = {"proba": True}
        probabilities = httpx.post(f"{url}/invocations", json=body).json()["predictions"]
        assert probabilities[0] < 0.5 < probabilities[1]

        csv = httpx.post(
            f"{url}/invocations", content="a,b\n3,0\n", headers={"Content-Type": "text/csv"}
        )
        assert csv.json() == {"predictions": [1]}

        missing = httpx.post(
            f"{url}/invocations", json={"dataframe_split": {"columns": ["a"], "data": [[1.0]]}}
        )
        assert missing.status_code == 400
        assert missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "b" in missing.json()["message"]

        wrong = httpx.post(
            f"{url}/invocations", json={"dataframe_split": {"columns": COLUMNS, "data": [["x", 1]]}}
        )
        assert wrong.status_code == 400
        assert "a" in wrong.json()["message"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_uri_runs_several_worker_processes(saved_model: Path) -> None:
    port = _free_port()
    script = (
        "import sys; from runwell.scoring import serve_uri; "
        "serve_uri(sys.argv[1], port=int(sys.argv[2]), workers=2, log_level='warning', "
        "batch_max_size=8)"
    )
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))  # the pickled class lives in tests/
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(saved_model), str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "serve_uri exited early"
            try:
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve_uri did not answer /ping in 60 s"
            time.sleep(0.2)
        body = {"dataframe_records": [{"a": 3.0, "b": 0.0}]}
        for _ in range(10):
            response = httpx.post(f"{url}/invocations", json=body, timeout=10)
            assert response.json() == {"predictions": [1]}
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
