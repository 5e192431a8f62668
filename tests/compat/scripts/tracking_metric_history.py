"""A metric logged at many steps, read back with get_metric_history."""

import json

import mlflow
from mlflow import MlflowClient

mlflow.set_experiment("tracking-metric-history")

with mlflow.start_run(run_name="history") as run:
    for step in range(20):
        mlflow.log_metric("train_loss", 2.0 * 0.8**step, step=step)
        if step % 5 == 0:
            mlflow.log_metric("val_loss", 2.1 * 0.8**step, step=step)

history = MlflowClient().get_metric_history(run.info.run_id, "val_loss")
observed = {"val_loss": [[m.step, round(m.value, 6)] for m in history]}
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
