"""Run by MLflow's own interpreter (.venv-mlflow) against a runwell server.

MLFLOW_TRACKING_URI points at the server. Prints one JSON object with what the client saw;
the test checks it and then the server's store.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import mlflow  # type: ignore[import-not-found]
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag  # type: ignore[import-not-found]

work = Path(sys.argv[1])
client = MlflowClient()
mlflow.set_experiment("interop")
source = work / "hello.txt"
source.write_text("hello from mlflow")

with mlflow.start_run(run_name="first") as run:
    run_id = run.info.run_id
    mlflow.log_param("alpha", 0.5)
    mlflow.log_params({"l1": 1, "solver": "sgd"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=1)
    mlflow.log_metric("weird", float("nan"))
    mlflow.set_tag("team", "vision")
    mlflow.set_tags({"a": "1", "b": "2"})
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("batch", 2.0, now, 0), Metric("batch", 3.0, now + 1, 1)],
        params=[Param("batch_param", "v")],
        tags=[RunTag("batch_tag", "t")],
    )
    mlflow.log_artifact(str(source))
    mlflow.log_artifact(str(source), artifact_path="sub")
    mlflow.log_dict({"layers": [1, 2]}, "cfg/config.json")
    mlflow.log_text("some notes", "notes.txt")

with mlflow.start_run(run_name="second") as other:
    other_id = other.info.run_id
    mlflow.log_metric("loss", 0.01)

frame = mlflow.search_runs(
    experiment_names=["interop"],
    filter_string="metrics.loss < 0.5",
    order_by=["metrics.loss ASC"],
)
history = client.get_metric_history(run_id, "loss")
listed = sorted(f.path for f in client.list_artifacts(run_id))
listed_sub = [f.path for f in client.list_artifacts(run_id, "sub")]
one = mlflow.artifacts.download_artifacts(
    run_id=run_id, artifact_path="hello.txt", dst_path=str(work / "one")
)
everything = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(work / "all"))
loaded = mlflow.artifacts.load_dict(f"runs:/{run_id}/cfg/config.json")

client.delete_run(other_id)
deleted_stage = client.get_run(other_id).info.lifecycle_stage
client.restore_run(other_id)
restored_stage = client.get_run(other_id).info.lifecycle_stage

print(
    json.dumps(
        {
            "run_id": run_id,
            "other_id": other_id,
            "experiment_id": run.info.experiment_id,
            "search_ids": list(frame["run_id"]),
            "history": [[m.step, m.value] for m in history],
            "listed": listed,
            "listed_sub": listed_sub,
            "one": Path(one).read_text(),
            "all": sorted(
                str(p.relative_to(everything)) for p in Path(everything).rglob("*") if p.is_file()
            ),
            "loaded": loaded,
            "deleted_stage": deleted_stage,
            "restored_stage": restored_stage,
            "status": client.get_run(run_id).info.status,
        }
    )
)
