"""Resuming a finished run by id, and last_active_run."""

import mlflow

mlflow.set_experiment("tracking-resume-run")

with mlflow.start_run(run_name="resumable") as run:
    mlflow.log_metric("epoch_loss", 0.9, step=0)

with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_metric("epoch_loss", 0.7, step=1)
    mlflow.set_tag("resumed", "true")

last = mlflow.last_active_run()
with mlflow.start_run(run_id=last.info.run_id):
    mlflow.log_param("resumed_times", 2)
