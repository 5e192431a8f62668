"""MLflow 3 logged models: model_id from log_model, get_logged_model, search_logged_models."""

import json

import mlflow
import numpy as np
from sklearn.linear_model import Lasso

mlflow.set_experiment("logged-models-search")
X = np.arange(30, dtype=float).reshape(-1, 3)

model_ids = []
with mlflow.start_run(run_name="two-models"):
    for name, alpha in (("lasso-small", 0.1), ("lasso-large", 0.5)):
        info = mlflow.sklearn.log_model(
            Lasso(alpha=alpha).fit(X, X[:, 0]), name=name, params={"alpha": alpha}
        )
        model_ids.append(info.model_id)

first = mlflow.get_logged_model(model_ids[0])
found = mlflow.search_logged_models(filter_string="name = 'lasso-large'", output_format="list")
frame = mlflow.search_logged_models(order_by=[{"field_name": "name", "ascending": True}])
observed = {
    "first": [first.name, str(first.status), first.params],
    "found": [m.name for m in found],
    "all": frame["name"].tolist(),
}
with mlflow.start_run(run_name="logged-models-report"):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
