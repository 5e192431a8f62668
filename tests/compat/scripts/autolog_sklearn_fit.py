"""sklearn autologging around a plain fit."""

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

mlflow.set_experiment("autolog-sklearn-fit")
mlflow.sklearn.autolog()

X, y = load_iris(return_X_y=True)
with mlflow.start_run(run_name="logreg"):
    LogisticRegression(max_iter=200, C=0.5).fit(X[::3], y[::3])
