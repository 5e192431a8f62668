"""Loading one model through runs:/, models:/<model_id>, models:/<name>/<version> and @alias."""

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

mlflow.set_experiment("models-uris")
X = np.arange(10, dtype=float).reshape(-1, 1)
model = LinearRegression().fit(X, 3 * X[:, 0] + 1)

with mlflow.start_run(run_name="linear") as run:
    model_info = mlflow.sklearn.log_model(model, name="linear", input_example=X[:2])

version = mlflow.register_model(model_info.model_uri, "models-uris-linear")
MlflowClient().set_registered_model_alias("models-uris-linear", "champion", version.version)

uris = [
    f"runs:/{run.info.run_id}/linear",
    f"models:/{model_info.model_id}",
    f"models:/models-uris-linear/{version.version}",
    "models:/models-uris-linear@champion",
]
observed = {}
for index, uri in enumerate(uris):
    prediction = mlflow.pyfunc.load_model(uri).predict(np.array([[2.0]]))
    observed[f"uri_{index}"] = round(float(prediction[0]), 6)
observed["sklearn_flavor"] = round(
    float(mlflow.sklearn.load_model(uris[3]).predict(np.array([[4.0]]))[0]), 6
)
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_dict(observed, "observed.json")
