"""MLflow 3: metrics linked to a logged model (log_metric with model_id) and to a dataset."""

import mlflow
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

mlflow.set_experiment("logged-models-metrics")
X = np.arange(12, dtype=float).reshape(-1, 2)
y = X[:, 0] - X[:, 1]
evaluation = mlflow.data.from_pandas(pd.DataFrame(X, columns=["a", "b"]), name="eval-set")

with mlflow.start_run(run_name="model-metrics"):
    info = mlflow.sklearn.log_model(LinearRegression().fit(X, y), name="linear")
    mlflow.log_metric("r2", 1.0, model_id=info.model_id)
    mlflow.log_metric("rmse", 0.0, model_id=info.model_id, dataset=evaluation)
