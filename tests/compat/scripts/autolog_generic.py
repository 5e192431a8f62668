"""mlflow.autolog() (all integrations) around an sklearn regressor fit, without an explicit run."""

import mlflow
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

mlflow.set_experiment("autolog-generic")
mlflow.autolog(log_models=False)

X, y = load_diabetes(return_X_y=True)
Ridge(alpha=2.0).fit(X[:100], y[:100])
mlflow.end_run()
