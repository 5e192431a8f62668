"""sklearn log_model with a signature and input example, loaded back as pyfunc."""

import json

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

mlflow.set_experiment("models-sklearn-signature")

iris = load_iris(as_frame=True)
X, y = iris.data[::3], iris.target[::3]
model = LogisticRegression(max_iter=300, C=0.5).fit(X, y)
signature = infer_signature(X, model.predict(X))

with mlflow.start_run(run_name="logreg") as run:
    mlflow.log_params({"max_iter": 300, "C": 0.5})
    model_info = mlflow.sklearn.log_model(
        model, name="iris_logreg", signature=signature, input_example=X.head(3)
    )

loaded = mlflow.pyfunc.load_model(model_info.model_uri)
predictions = loaded.predict(pd.DataFrame(X.head(5)))
observed = {
    "predictions": [int(p) for p in predictions],
    "inputs": [spec["name"] for spec in json.loads(loaded.metadata.signature.inputs.to_json())],
    "has_model_id": bool(model_info.model_id),
    "uri_is_models": model_info.model_uri.startswith("models:/"),
    "flavors": sorted(loaded.metadata.flavors),
}
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_dict(observed, "observed.json")
