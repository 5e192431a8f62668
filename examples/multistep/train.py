"""Step 3 of the workflow: fit a model on the features and log it with its test scores.

    runwell run examples/multistep -e train -P features=runs:/<featurize run>/features

``features`` is a ``uri`` parameter: the runner checks it has a scheme and passes it on, and
this script downloads it itself (``runwell.artifacts.download_artifacts``). The model is a
scikit-learn pipeline, one-hot encoding of the hour, day and month before a ridge regression
of strength ``alpha``; the run gets ``rmse``, ``mae`` and ``r2`` on the test hours and the
model (``runwell.sklearn.log_model``, name ``model``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import runwell
import runwell.artifacts
import runwell.sklearn

TARGET = "rentals"
CATEGORICAL = ["hour", "day_of_week", "month"]


def build_model(alpha: float) -> Pipeline:
    encode = ColumnTransformer(
        [("calendar", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)],
        remainder="passthrough",
    )
    return Pipeline([("encode", encode), ("ridge", Ridge(alpha=alpha))])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--features", required=True, help="runs:/<run id>/features")
    parser.add_argument("--alpha", type=float, default=1.0)
    args = parser.parse_args(argv)

    with runwell.start_run() as run:
        local = Path(runwell.artifacts.download_artifacts(artifact_uri=args.features))
        train = pd.read_csv(local / "train.csv")
        test = pd.read_csv(local / "test.csv")
        train_x, train_y = train.drop(columns=TARGET), train[TARGET]
        test_x, test_y = test.drop(columns=TARGET), test[TARGET]
        model = build_model(args.alpha).fit(train_x, train_y)
        predicted = model.predict(test_x)
        metrics = {
            "rmse": float(np.sqrt(mean_squared_error(test_y, predicted))),
            "mae": float(mean_absolute_error(test_y, predicted)),
            "r2": float(r2_score(test_y, predicted)),
        }
        runwell.log_metrics(metrics)
        runwell.sklearn.log_model(model, name="model", input_example=train_x.head(5))
    print("train: " + "  ".join(f"{k}={v:.3f}" for k, v in metrics.items()))
    print(f"train: model at runs:/{run.info.run_id}/model")


if __name__ == "__main__":
    main()
