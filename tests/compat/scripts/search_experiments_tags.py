"""search_experiments by name pattern and by tag, ordered by name."""

import json

import mlflow

for name, team in [("alpha", "red"), ("beta", "blue"), ("gamma", "red")]:
    mlflow.create_experiment(f"search-experiments-tags-{name}", tags={"team": team})

red = mlflow.search_experiments(
    filter_string="tags.team = 'red' and name LIKE 'search-experiments-tags-%'",
    order_by=["name DESC"],
)
like = mlflow.search_experiments(filter_string="name LIKE 'search-experiments-tags-%'")
observed = {"red": [e.name for e in red], "like": sorted(e.name for e in like)}

mlflow.set_experiment("search-experiments-tags-alpha")
with mlflow.start_run(run_name="report"):
    mlflow.log_text(json.dumps(observed, sort_keys=True), "observed.json")
