"""The low-level client: explicit experiment and run ids, log_batch, set_terminated."""

import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

client = MlflowClient()
experiment_id = client.create_experiment("tracking-client-batch", tags={"owner": "data-team"})
run = client.create_run(experiment_id, run_name="batch-run", tags={"source": "client"})

now = int(time.time() * 1000)
client.log_batch(
    run.info.run_id,
    metrics=[Metric("rmse", 0.5 - step / 100, now + step, step) for step in range(5)],
    params=[Param("n_estimators", "10"), Param("max_depth", "3")],
    tags=[RunTag("kind", "batch")],
)
client.log_param(run.info.run_id, "seed", 42)
client.log_metric(run.info.run_id, "mae", 0.3)
client.set_tag(run.info.run_id, "reviewed", "yes")
client.set_terminated(run.info.run_id)
