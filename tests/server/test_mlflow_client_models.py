"""The real MLflow 3 client logs and loads a model through a runwell server.

MLflow runs in its own interpreter (``.venv-mlflow``), as a subprocess: runwell never imports
it. The script trains a small scikit-learn model, logs it with ``mlflow.sklearn.log_model``
inside a run that has a metric and a param, loads it back by ``runs:/`` and ``models:/`` URIs
and predicts; the test then checks what landed in our store and artifact directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from runwell.entities import LoggedModelStatus, ModelOutput
from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
    y = np.array([0, 1, 0, 1])
    mlflow.set_experiment("client-models")
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        mlflow.log_metric("accuracy", 0.75)
        model = LogisticRegression(C=1.0).fit(X, y)
        info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
    by_run = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    by_id = mlflow.pyfunc.load_model(f"models:/{info.model_id}")
    expected = model.predict(X).tolist()

    client = mlflow.MlflowClient()
    experiment_id = run.info.experiment_id
    spare = client.create_logged_model(experiment_id, name="spare", params={"k": "v"})
    client.set_logged_model_tags(info.model_id, {"stage": "prod", "gone": "x"})
    client.delete_logged_model_tag(info.model_id, "gone")
    fetched = client.get_logged_model(info.model_id)
    found = mlflow.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string="name = 'model' AND tags.stage = 'prod'",
        order_by=[{"field_name": "creation_timestamp", "ascending": False}],
        output_format="list",
    )
    listed = client.list_logged_model_artifacts(info.model_id)
    client.delete_logged_model(spare.model_id)
    remaining = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
    json.dump(
        {
            "run_id": run.info.run_id,
            "model_id": info.model_id,
            "model_uri": info.model_uri,
            "by_run": by_run.predict(X).tolist(),
            "by_id": by_id.predict(X).tolist(),
            "expected": expected,
            "status": str(fetched.status),
            "tags": {k: v for k, v in fetched.tags.items() if not k.startswith("mlflow.")},
            "params": fetched.params,
            "found": [m.model_id for m in found],
            "listed": sorted(f.path for f in listed),
            "remaining": [m.name for m in remaining],
        },
        sys.stdout,
    )
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_mlflow_logs_and_loads_a_sklearn_model_through_runwell(tmp_path: Path, db_url: str) -> None:
    if not MLFLOW_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{MLFLOW_PYTHON} is missing (CI requires it: make mlflow-env)")
        pytest.skip(f"{MLFLOW_PYTHON} is missing: run `make mlflow-env`")
    store = SqlTrackingStore(db_url, "mlflow-artifacts:")
    artifacts = tmp_path / "artifacts"
    script = tmp_path / "flow.py"
    script.write_text(_SCRIPT)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "RUNWELL_"))
    }
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        # A deterministic server error must fail the test, not be retried for minutes.
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="60",
    )
    with serve(create_app(store, str(artifacts))) as url:
        env["MLFLOW_TRACKING_URI"] = url
        done = subprocess.run(
            [str(MLFLOW_PYTHON), str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-5000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["by_run"] == result["by_id"] == result["expected"]

    run_id, model_id = result["run_id"], result["model_id"]
    assert result["status"].endswith("READY")
    assert result["tags"] == {"stage": "prod"} and result["params"] == {"C": "1.0"}
    assert result["found"] == [model_id] and result["remaining"] == ["model"]
    assert "MLmodel" in result["listed"]
    assert result["model_uri"] == f"models:/{model_id}"
    model = store.get_logged_model(model_id)
    assert model.status is LoggedModelStatus.READY
    assert (model.name, model.source_run_id) == ("model", run_id)
    assert model.param_dict == {"C": "1.0"}
    experiment_id = model.experiment_id
    assert model.artifact_location == (
        f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts"
    )
    run = store.get_run(run_id)
    assert run.outputs.model_outputs == (ModelOutput(model_id=model_id, step=0),)
    assert run.data.metric_dict == {"accuracy": 0.75}

    files = artifacts / experiment_id / "models" / model_id / "artifacts"
    names = {p.name for p in files.iterdir()}
    assert {"MLmodel", "requirements.txt", "input_example.json"} <= names
    assert f"model_id: {model_id}" in (files / "MLmodel").read_text()
    assert not (artifacts / experiment_id / run_id / "artifacts" / "model").exists()
