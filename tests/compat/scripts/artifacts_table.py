"""log_table from a dict and from a DataFrame, the second call appending rows."""

import mlflow
import pandas as pd
from mlflow import MlflowClient

mlflow.set_experiment("artifacts-table")

with mlflow.start_run(run_name="table") as run:
    mlflow.log_table({"question": ["2+2", "3+3"], "answer": ["4", "6"]}, "eval/results.json")
    frame = pd.DataFrame({"question": ["4+4"], "answer": ["8"]})
    mlflow.log_table(frame, "eval/results.json")

table = mlflow.load_table("eval/results.json", run_ids=[run.info.run_id])
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_dict(
        {"rows": len(table), "questions": sorted(table["question"].tolist())}, "observed.json"
    )
files = [f.path for f in MlflowClient().list_artifacts(run.info.run_id, "eval")]
assert files == ["eval/results.json"], files
