"""lightgbm autologging with the native training API."""

import lightgbm as lgb
import mlflow
from sklearn.datasets import load_breast_cancer

mlflow.set_experiment("autolog-lightgbm")
mlflow.lightgbm.autolog()

X, y = load_breast_cancer(return_X_y=True)
train = lgb.Dataset(X[:400], label=y[:400])
valid = lgb.Dataset(X[400:], label=y[400:], reference=train)
params = {
    "objective": "binary",
    "metric": "binary_logloss",
    "num_leaves": 4,
    "num_threads": 1,
    "verbose": -1,
    "seed": 0,
}
with mlflow.start_run(run_name="lgb"):
    lgb.train(params, train, num_boost_round=5, valid_sets=[valid], valid_names=["valid"])
