"""Predict wine quality with an ElasticNet, and track the run with runwell.

    runwell run examples/wine -P alpha=0.3 -P l1_ratio=0.2    # as a project
    python examples/wine/train.py 0.3 0.2                      # as a plain script

The data is made here, not downloaded: 1,599 red wines with the eleven physico-chemical
measurements of the UCI wine-quality table (same column names, similar ranges) and a quality
score from 3 to 8 that depends on alcohol, volatile acidity, sulphates and sulfur dioxide,
plus noise. Three quarters train the model, the rest scores it.

The run gets the params ``alpha`` and ``l1_ratio``, the metrics ``rmse``, ``mae`` and ``r2``
on the held-out wines, and the fitted model (``runwell.sklearn.log_model``, name ``model``),
so ``runwell models serve -m runs:/<run id>/model`` serves it. Launched by ``runwell run``,
the script logs into the run the runner made (``runwell.start_run()`` attaches to it).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

import runwell
import runwell.sklearn

ROWS = 1599
SEED = 40


def make_wine_data(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    """A wine-quality-style table: eleven measurements and an integer ``quality`` (3..8)."""
    rng = np.random.default_rng(seed)

    def normal(mean: float, sd: float, low: float, high: float) -> np.ndarray:
        return np.clip(rng.normal(mean, sd, rows), low, high)

    alcohol = normal(10.4, 1.1, 8.4, 14.9)
    residual_sugar = np.clip(rng.lognormal(0.8, 0.4, rows), 0.9, 15.5)
    fixed_acidity = normal(8.3, 1.7, 4.6, 15.9)
    free_so2 = normal(15.9, 10.0, 1.0, 72.0)
    ph = np.clip(3.31 - 0.06 * (fixed_acidity - 8.3) + rng.normal(0, 0.12, rows), 2.7, 4.0)
    frame: pd.DataFrame = pd.DataFrame(
        {
            "fixed acidity": fixed_acidity,
            "volatile acidity": normal(0.53, 0.18, 0.12, 1.58),
            "citric acid": normal(0.27, 0.19, 0.0, 1.0),
            "residual sugar": residual_sugar,
            "chlorides": normal(0.087, 0.047, 0.012, 0.611),
            "free sulfur dioxide": free_so2,
            "total sulfur dioxide": np.clip(
                free_so2 * 2.6 + rng.normal(5.0, 18.0, rows), 6.0, 289.0
            ),
            "density": 0.9967
            + 0.0004 * (residual_sugar - 2.5)
            - 0.0009 * (alcohol - 10.4)
            + rng.normal(0.0, 0.0008, rows),
            "pH": ph,
            "sulphates": normal(0.66, 0.17, 0.33, 2.0),
            "alcohol": alcohol,
        }
    )
    score = (
        5.64
        + 0.36 * (frame["alcohol"] - 10.4)
        - 1.1 * (frame["volatile acidity"] - 0.53)
        + 0.9 * (frame["sulphates"] - 0.66)
        - 0.004 * (frame["total sulfur dioxide"] - 46.0)
        + rng.normal(0.0, 0.55, rows)
    )
    frame["quality"] = np.clip(np.round(score), 3, 8).astype(int)
    return frame


def eval_metrics(actual: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(mean_squared_error(actual, predicted))),
        "mae": float(mean_absolute_error(actual, predicted)),
        "r2": float(r2_score(actual, predicted)),
    }


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        sys.exit(f"{name} must be a number, got {text!r}")


def main(argv: list[str]) -> None:
    alpha_text = argv[0] if argv else "0.5"
    l1_ratio_text = argv[1] if len(argv) > 1 else "0.1"
    alpha = _number(alpha_text, "alpha")
    l1_ratio = _number(l1_ratio_text, "l1_ratio")

    data = make_wine_data()
    train, test = train_test_split(data, test_size=0.25, random_state=SEED)
    train_x, test_x = train.drop(columns="quality"), test.drop(columns="quality")
    train_y, test_y = train["quality"], test["quality"]

    with runwell.start_run() as run:
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=SEED)
        model.fit(train_x, train_y)
        metrics = eval_metrics(test_y, model.predict(test_x))
        # The values as given: a project run has already logged these exact strings.
        runwell.log_params({"alpha": alpha_text, "l1_ratio": l1_ratio_text})
        runwell.log_metrics(metrics)
        runwell.sklearn.log_model(model, name="model", input_example=train_x.head(5))

    print(f"ElasticNet(alpha={alpha:g}, l1_ratio={l1_ratio:g}) on {len(data):,} wines")
    print("  " + "  ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    print(f"  run {run.info.run_id}; model at runs:/{run.info.run_id}/model")


if __name__ == "__main__":
    main(sys.argv[1:])
