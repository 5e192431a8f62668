"""Registering versions, tags, descriptions, aliases and searching model versions."""

import json

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import Ridge

mlflow.set_experiment("registry-register")
client = MlflowClient()
name = "registry-register-ridge"
client.create_registered_model(name, tags={"domain": "pricing"}, description="Ridge models")

X = np.arange(20, dtype=float).reshape(-1, 2)
versions = []
for alpha in (0.1, 1.0):
    with mlflow.start_run(run_name=f"ridge-{alpha}"):
        mlflow.log_param("alpha", alpha)
        info = mlflow.sklearn.log_model(Ridge(alpha=alpha).fit(X, X[:, 0]), name="ridge")
    versions.append(mlflow.register_model(info.model_uri, name).version)

client.set_registered_model_alias(name, "champion", versions[1])
client.set_registered_model_alias(name, "challenger", versions[0])
client.set_model_version_tag(name, versions[1], "validated", "true")
client.update_model_version(name, versions[0], description="baseline")
client.set_registered_model_tag(name, "owner", "ml-team")

found = client.search_model_versions(f"name = '{name}'")
champion = client.get_model_version_by_alias(name, "champion")
model = client.get_registered_model(name)
observed = {
    "versions": sorted(int(v.version) for v in found),
    "champion": champion.version,
    "champion_tags": champion.tags,
    "aliases": sorted(model.aliases),
    "description": model.description,
    "statuses": sorted(v.status for v in found),
}
with mlflow.start_run(run_name="registry-report"):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
