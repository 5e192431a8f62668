"""Experiment tags through the fluent API and the client."""

import mlflow
from mlflow import MlflowClient

experiment = mlflow.set_experiment("tracking-experiment-tags")
mlflow.set_experiment_tag("project", "churn")
mlflow.set_experiment_tags({"quarter": "q3", "framework": "sklearn"})

client = MlflowClient()
client.set_experiment_tag(experiment.experiment_id, "reviewed", "false")
second = client.create_experiment("tracking-experiment-tags-second", tags={"project": "churn"})
client.set_experiment_tag(second, "reviewed", "true")

with mlflow.start_run(run_name="tagged"):
    mlflow.log_metric("m", 1.0)
