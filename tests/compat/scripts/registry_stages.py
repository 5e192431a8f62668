"""The stage workflow (deprecated in MLflow 3 but still documented): Staging, Production."""

import json
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

warnings.filterwarnings("ignore", category=FutureWarning)
mlflow.set_experiment("registry-stages")
client = MlflowClient()
name = "registry-stages-linear"
X = np.arange(6, dtype=float).reshape(-1, 1)

for run_name in ("first", "second"):
    with mlflow.start_run(run_name=run_name):
        mlflow.sklearn.log_model(
            LinearRegression().fit(X, X[:, 0]), name="model", registered_model_name=name
        )

client.transition_model_version_stage(name, "1", "Staging")
client.transition_model_version_stage(name, "1", "Production")
client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
latest = client.get_latest_versions(name, stages=["Production", "Archived"])
observed = {"latest": sorted([v.version, v.current_stage] for v in latest)}
with mlflow.start_run(run_name="stages-report"):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
