"""The same payloads get the same answers from runwell's server and `mlflow models serve`.

MLflow saves a scikit-learn LogisticRegression (in its own virtualenv, as a subprocess) and
serves it; runwell serves the same directory. Until runwell's sklearn flavor can load it, the
runwell side is a PyFuncModel over the directory's MLmodel (real signature, real schema
enforcement) and its pickled estimator.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell.models.model import Model
from runwell.pyfunc import PyFuncModel, load_model
from runwell.scoring import build_app
from tests.live_server import serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_PYTHON = ROOT / ".venv-mlflow" / "bin" / "python"
SAVE = """
import sys
import mlflow
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
X.columns = ["a", "b", "c", "d"]
model = LogisticRegression(max_iter=500).fit(X, y)
mlflow.sklearn.save_model(
    model, sys.argv[1], signature=infer_signature(X, model.predict(X)),
    serialization_format="cloudpickle",
)
"""
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
COLUMNS = ["a", "b", "c", "d"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MLFLOW_PYTHON.exists():
        pytest.skip(f"no MLflow virtualenv at {MLFLOW_PYTHON}")
    path = tmp_path_factory.mktemp("mlflow-model") / "iris"
    subprocess.run(
        [str(MLFLOW_PYTHON), "-c", SAVE, str(path)], check=True, capture_output=True, timeout=180
    )
    return path


@pytest.fixture(scope="module")
def mlflow_url(model_dir: Path) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, PATH=f"{MLFLOW_PYTHON.parent}{os.pathsep}{os.environ['PATH']}")
    command = [str(MLFLOW_PYTHON), "-m", "mlflow", "models", "serve", "-m", str(model_dir)]
    process = subprocess.Popen(
        [*command, "-p", str(port), "--env-manager", "local"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow models serve exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlflow models serve did not answer /ping in 120 s")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def _runwell_model(model_dir: Path) -> Any:
    if importlib.util.find_spec("runwell.sklearn") is not None:
        return load_model(str(model_dir))
    with open(model_dir / "model.pkl", "rb") as handle:
        estimator = pickle.load(handle)
    return PyFuncModel(Model.load(str(model_dir)), estimator, "runwell.sklearn")


@pytest.fixture(scope="module")
def runwell_url(model_dir: Path) -> Iterator[str]:
    with serve(build_app(_runwell_model(model_dir))) as url:
        yield url


SAME_ANSWER: list[tuple[str, str, Any]] = [
    ("split", "application/json", {"dataframe_split": {"columns": COLUMNS, "data": ROWS}}),
    (
        "split with index",
        "application/json",
        {"dataframe_split": {"columns": COLUMNS, "data": ROWS, "index": [3, 1, 2]}},
    ),
    (
        "split with ints",
        "application/json",
        {"dataframe_split": {"columns": COLUMNS, "data": [[5, 3, 1, 0]]}},
    ),
    (
        "records",
        "application/json",
        {"dataframe_records": [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]},
    ),
    (
        "instances",
        "application/json",
        {"instances": [dict(zip(COLUMNS, row, strict=True)) for row in ROWS]},
    ),
    (
        "inputs",
        "application/json",
        {"inputs": {c: [row[i] for row in ROWS] for i, c in enumerate(COLUMNS)}},
    ),
    ("csv", "text/csv", "a,b,c,d\n" + "\n".join(",".join(map(str, r)) for r in ROWS) + "\n"),
]


def _post(url: str, content_type: str, body: Any) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if isinstance(body, str):
        return httpx.post(f"{url}/invocations", content=body, headers=headers, timeout=30)
    return httpx.post(f"{url}/invocations", json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    ("content_type", "body"), [c[1:] for c in SAME_ANSWER], ids=[c[0] for c in SAME_ANSWER]
)
def test_payloads_get_identical_predictions(
    mlflow_url: str, runwell_url: str, content_type: str, body: Any
) -> None:
    theirs = _post(mlflow_url, content_type, body)
    ours = _post(runwell_url, content_type, body)
    assert theirs.status_code == 200, theirs.text
    assert ours.status_code == 200, ours.text
    assert ours.json() == theirs.json()
    assert ours.headers["content-type"] == theirs.headers["content-type"]


BAD: list[tuple[str, str, str]] = [
    ("malformed", "application/json", '{"dataframe_split": '),
    ("list", "application/json", "[1, 2]"),
    ("legacy 1.x", "application/json", '{"columns": ["a"], "data": [[1]]}'),
    ("two formats", "application/json", '{"inputs": [1], "instances": [1]}'),
    ("split not a dict", "application/json", '{"dataframe_split": [1]}'),
    ("wrong type", "text/plain", "a,b"),
    ("charset", "application/json; charset=latin-1", "{}"),
    ("format param", "application/json; format=pandas-split", "{}"),
]


@pytest.mark.parametrize(("content_type", "body"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_payloads_get_the_same_status_and_error_code(
    mlflow_url: str, runwell_url: str, content_type: str, body: str
) -> None:
    theirs = _post(mlflow_url, content_type, body)
    ours = _post(runwell_url, content_type, body)
    assert ours.status_code == theirs.status_code, (theirs.text, ours.text)
    assert (
        ours.headers["content-type"].split(";")[0] == theirs.headers["content-type"].split(";")[0]
    )
    if theirs.headers["content-type"].startswith("application/json"):
        assert ours.json()["error_code"] == theirs.json()["error_code"]


def test_missing_column_is_a_400_from_both(mlflow_url: str, runwell_url: str) -> None:
    body = {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.0, 2.0, 3.0]]}}
    theirs = _post(mlflow_url, "application/json", body)
    ours = _post(runwell_url, "application/json", body)
    assert theirs.status_code == ours.status_code == 400
    assert ours.json()["error_code"] == theirs.json()["error_code"]
    assert "d" in ours.json()["message"]


def test_ping_and_method_not_allowed_match(mlflow_url: str, runwell_url: str) -> None:
    for path in ("/ping", "/health"):
        theirs, ours = httpx.get(mlflow_url + path), httpx.get(runwell_url + path)
        assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
    theirs, ours = httpx.get(mlflow_url + "/invocations"), httpx.get(runwell_url + "/invocations")
    assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json())


def test_mlflow_client_payload_with_nan_gets_the_same_answer(
    mlflow_url: str, runwell_url: str
) -> None:
    """What MLflow's own client code sends (dump_input_data writes NaN literals) is understood."""
    script = (
        "import sys, pandas as pd, numpy as np\n"
        "from mlflow.utils.proto_json_utils import dump_input_data\n"
        "df = pd.DataFrame([[5.1, 3.5, 1.4, np.nan]], columns=list('abcd'))\n"
        "sys.stdout.write(dump_input_data(df))\n"
    )
    payload = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", script], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert "NaN" in payload
    theirs = _post(mlflow_url, "application/json", payload)
    ours = _post(runwell_url, "application/json", payload)
    assert ours.status_code == theirs.status_code, (theirs.text, ours.text)
    assert ours.json().get("error_code") == theirs.json().get("error_code")
