"""start_run with tags and a description, and set_tag after the fact on a finished run."""

import mlflow
from mlflow import MlflowClient

mlflow.set_experiment("tracking-run-description")

with mlflow.start_run(
    run_name="described", tags={"dataset": "iris", "version": "2"}, description="baseline model"
) as run:
    mlflow.log_metric("accuracy", 0.9, step=0)
    mlflow.log_metric("accuracy", 0.95, step=1)

client = MlflowClient()
client.set_tag(run.info.run_id, "approved", "yes")
client.delete_tag(run.info.run_id, "version")
