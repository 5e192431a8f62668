"""search_runs with a filter and order_by, returning a DataFrame and a list."""

import json

import mlflow

experiment = mlflow.set_experiment("search-runs-filters")

for name, model, accuracy in [
    ("rf-small", "rf", 0.81),
    ("rf-large", "rf", 0.86),
    ("lr-default", "lr", 0.78),
    ("lr-tuned", "lr", 0.83),
]:
    with mlflow.start_run(run_name=name):
        mlflow.log_param("model", model)
        mlflow.log_metric("accuracy", accuracy)
        mlflow.set_tag("family", "tree" if model == "rf" else "linear")

frame = mlflow.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string="metrics.accuracy > 0.8 and params.model = 'rf'",
    order_by=["metrics.accuracy DESC"],
)
by_tag = mlflow.search_runs(
    experiment_names=["search-runs-filters"],
    filter_string="tags.family = 'linear'",
    order_by=["attributes.run_name ASC"],
    output_format="list",
)
everything = mlflow.search_runs(
    experiment_ids=[experiment.experiment_id], order_by=["metrics.accuracy ASC"], max_results=3
)
observed = {
    "columns": sorted(c for c in frame.columns if c.startswith(("params.", "metrics.", "tags.f"))),
    "filtered": frame["tags.mlflow.runName"].tolist(),
    "accuracy": frame["metrics.accuracy"].tolist(),
    "status": frame["status"].tolist(),
    "by_tag": [run.info.run_name for run in by_tag],
    "first_three": everything["tags.mlflow.runName"].tolist(),
}
with mlflow.start_run(run_name="search-report"):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
