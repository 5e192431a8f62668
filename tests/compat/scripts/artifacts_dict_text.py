"""log_dict (JSON and YAML) and log_text."""

import mlflow

mlflow.set_experiment("artifacts-dict-text")

with mlflow.start_run(run_name="dict-text"):
    config = {"model": "ridge", "alpha": 0.5, "features": ["a", "b"]}
    mlflow.log_dict(config, "config.json")
    mlflow.log_dict(config, "config/config.yaml")
    mlflow.log_text("hello, mlflow", "notes/hello.txt")
    mlflow.log_text("<h1>report</h1>", "report.html")
