"""xgboost autologging with the native training API."""

import mlflow
import xgboost as xgb
from sklearn.datasets import load_diabetes

mlflow.set_experiment("autolog-xgboost")
mlflow.xgboost.autolog()

X, y = load_diabetes(return_X_y=True)
train = xgb.DMatrix(X[:300], label=y[:300])
valid = xgb.DMatrix(X[300:], label=y[300:])
with mlflow.start_run(run_name="xgb"):
    xgb.train(
        {"max_depth": 2, "eta": 0.3, "objective": "reg:squarederror", "nthread": 1, "seed": 0},
        train,
        num_boost_round=5,
        evals=[(train, "train"), (valid, "valid")],
    )
