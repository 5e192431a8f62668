"""Train -> log -> register -> alias -> load, crossing tools through one runwell server.

The real mlflow 3 client (a subprocess of .venv-mlflow) logs and registers a sklearn model and
loads ``models:/flow@champion``; runwell loads the same URI, then logs and registers its own
version, which mlflow loads as ``models:/flow@challenger``. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import runwell
import runwell.pyfunc
import runwell.sklearn
from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"
X = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [2.0, 1.0]]
Y = [0, 1, 0, 1]

_LOG_AND_LOAD = textwrap.dedent(
    f"""
    import json, sys
    import numpy as np
    import mlflow
    from sklearn.linear_model import LogisticRegression
    X, y = np.array({X}), np.array({Y})
    mlflow.set_experiment("mlflow-flow")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            LogisticRegression().fit(X, y), name="model", registered_model_name="flow",
            input_example=X[:2],
        )
    client = mlflow.MlflowClient()
    client.set_registered_model_alias("flow", "champion", info.registered_model_version)
    loaded = mlflow.pyfunc.load_model("models:/flow@champion")
    json.dump({{"version": info.registered_model_version,
               "predictions": loaded.predict(X).tolist()}}, sys.stdout)
    """
)

_LOAD_CHALLENGER = textwrap.dedent(
    f"""
    import json, sys
    import numpy as np
    import mlflow
    loaded = mlflow.pyfunc.load_model("models:/flow@challenger")
    version = mlflow.MlflowClient().get_model_version_by_alias("flow", "challenger")
    json.dump({{"version": version.version,
               "predictions": loaded.predict(np.array({X})).tolist()}}, sys.stdout)
    """
)


@pytest.fixture
def server_url(server_db_url: str, tmp_path: Path) -> Iterator[str]:
    store = SqlTrackingStore(server_db_url, "mlflow-artifacts:")
    with serve(create_app(store, str(tmp_path / "artifacts"))) as url:
        yield url


def _mlflow(script: str, url: str, cwd: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": url,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        # runwell-written models pin runwell in requirements.txt; mlflow only warns about it.
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_models_cross_between_mlflow_and_runwell_through_the_registry(
    server_url: str, tmp_path: Path
) -> None:
    expected_first = LogisticRegression().fit(X, Y).predict(np.array(X)).tolist()
    first = _mlflow(_LOG_AND_LOAD, server_url, tmp_path)
    assert first == {"version": "1", "predictions": expected_first}

    runwell.set_tracking_uri(server_url)
    by_runwell = runwell.pyfunc.load_model("models:/flow@champion").predict(np.array(X))
    assert by_runwell.tolist() == expected_first

    second_model = LogisticRegression(C=0.01).fit(X, [1 - v for v in Y])
    runwell.set_experiment("runwell-flow")
    with runwell.start_run():
        info = runwell.sklearn.log_model(
            second_model, name="model", registered_model_name="flow", input_example=np.array(X)
        )
    assert info.registered_model_version == 2
    runwell.RunwellClient().set_registered_model_alias("flow", "challenger", "2")
    second = _mlflow(_LOAD_CHALLENGER, server_url, tmp_path)
    assert second == {
        "version": "2",
        "predictions": second_model.predict(np.array(X)).tolist(),
    }
