"""Datasets: mlflow.data.from_pandas and log_input with a context."""

import json

import mlflow
import pandas as pd

mlflow.set_experiment("datasets-log-input")
frame = pd.DataFrame({"x1": [1.0, 2.0, 3.0, 4.0], "x2": [0, 1, 0, 1], "label": [0, 1, 1, 0]})
train = mlflow.data.from_pandas(frame.iloc[:3], name="train-split", targets="label")
test = mlflow.data.from_pandas(frame.iloc[3:], name="test-split", targets="label")

with mlflow.start_run(run_name="with-inputs") as run:
    mlflow.log_input(train, context="training")
    mlflow.log_input(test, context="testing", tags={"fold": "holdout"})

inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
observed = sorted(
    [d.dataset.name, d.dataset.source_type, sorted(t.value for t in d.tags)] for d in inputs
)
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_text(
        json.dumps({"inputs": observed, "digest_len": len(train.digest)}), "observed.json"
    )
