"""Listing artifacts with the client and downloading them with mlflow.artifacts."""

import json
import tempfile
from pathlib import Path

import mlflow
from mlflow import MlflowClient

mlflow.set_experiment("artifacts-list-download")

with mlflow.start_run(run_name="download") as run:
    mlflow.log_text("alpha", "data/a.txt")
    mlflow.log_text("beta", "data/nested/b.txt")
    mlflow.log_dict({"k": 1}, "meta.json")

client = MlflowClient()
top = [(f.path, f.is_dir) for f in client.list_artifacts(run.info.run_id)]
inner = [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run.info.run_id, "data")]
with tempfile.TemporaryDirectory() as tmp:
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="data", dst_path=tmp
    )
    downloaded = sorted(str(p.relative_to(local)) for p in Path(local).rglob("*") if p.is_file())
    text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/data/a.txt")
    meta = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/meta.json")

observed = {"top": top, "inner": inner, "downloaded": downloaded, "text": text, "meta": meta}
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
