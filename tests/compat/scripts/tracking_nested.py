"""A parent run with nested child runs, one per trial."""

import mlflow

mlflow.set_experiment("tracking-nested")

with mlflow.start_run(run_name="parent"):
    mlflow.log_param("trials", 3)
    best = 0.0
    for trial in range(3):
        with mlflow.start_run(run_name=f"trial-{trial}", nested=True):
            score = 0.5 + trial / 10
            mlflow.log_param("alpha", trial * 0.1)
            mlflow.log_metric("score", score)
            best = max(best, score)
    mlflow.log_metric("best_score", best)
