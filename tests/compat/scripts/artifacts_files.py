"""log_artifact and log_artifacts from local files, with and without artifact_path."""

import tempfile
from pathlib import Path

import mlflow

mlflow.set_experiment("artifacts-files")

with tempfile.TemporaryDirectory() as tmp:
    notes = Path(tmp, "notes.txt")
    notes.write_text("trained on a tiny sample\n")
    outputs = Path(tmp, "outputs")
    (outputs / "plots").mkdir(parents=True)
    (outputs / "summary.csv").write_text("a,b\n1,2\n")
    (outputs / "plots" / "curve.txt").write_text("0.1 0.2\n")

    with mlflow.start_run(run_name="files"):
        mlflow.log_artifact(str(notes))
        mlflow.log_artifact(str(notes), artifact_path="docs")
        mlflow.log_artifacts(str(outputs), artifact_path="outputs")
        mlflow.log_artifacts(str(outputs / "plots"))
