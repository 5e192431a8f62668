"""Run end states: finished, failed (explicit and from an exception) and killed."""

import mlflow

mlflow.set_experiment("tracking-run-status")

with mlflow.start_run(run_name="finished"):
    mlflow.log_metric("ok", 1)

mlflow.start_run(run_name="failed-explicit")
mlflow.end_run(status="FAILED")

try:
    with mlflow.start_run(run_name="failed-exception"):
        mlflow.log_metric("ok", 0)
        raise ValueError("training diverged")
except ValueError:
    pass

mlflow.start_run(run_name="killed")
mlflow.end_run(status="KILLED")
