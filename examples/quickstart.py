"""Quickstart: track three wine classifiers with runwell, then look at them from the CLI.

    python examples/quickstart.py
    runwell runs list --experiment-name quickstart
    runwell runs describe <run id>

Each run trains a logistic-regression classifier by stochastic gradient descent on
scikit-learn's bundled wine data (no download) with one regularisation strength, and logs:

- params: the model's settings and the train/validation split,
- per-epoch metrics: ``train_loss`` and ``val_accuracy`` at ``step=epoch``,
- final metrics: ``accuracy`` and ``f1_macro`` on the validation set,
- the dataset it used (``runwell.log_input``) and a confusion-matrix plot
  (``confusion_matrix.png``).

Runs go to RUNWELL_TRACKING_URI, else ``sqlite:///<cwd>/runwell.db``. It takes a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, f1_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import runwell

EXPERIMENT = "quickstart"
ALPHAS = (0.0001, 0.01, 0.3)
EPOCHS = 15
SEED = 42


@dataclass(frozen=True)
class Result:
    alpha: float
    accuracy: float
    f1_macro: float
    run_id: str


def load_data() -> tuple[pd.DataFrame, list[str]]:
    """The wine data as one frame (13 features + ``target``) and the class names."""
    wine = load_wine(as_frame=True)
    frame: pd.DataFrame = wine.frame
    return frame, [str(name) for name in wine.target_names]


def confusion_figure(y_true: Any, y_pred: Any, labels: list[str], title: str) -> Any:
    figure, axes = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=labels, ax=axes, colorbar=False
    )
    axes.set_title(title)
    figure.tight_layout()
    return figure


def train(alpha: float, frame: pd.DataFrame, labels: list[str]) -> Result:
    """One run: fit, log every epoch, log the final scores and the confusion matrix."""
    features = frame.drop(columns="target").to_numpy()
    target = frame["target"].to_numpy()
    x_train, x_val, y_train, y_val = train_test_split(
        features, target, test_size=0.3, random_state=SEED, stratify=target
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    classes = np.unique(target)
    model = SGDClassifier(loss="log_loss", alpha=alpha, learning_rate="optimal", random_state=SEED)

    with runwell.start_run(run_name=f"sgd-logreg-alpha-{alpha:g}"):
        runwell.log_params(
            {
                "model": "SGDClassifier",
                "loss": "log_loss",
                "alpha": alpha,
                "epochs": EPOCHS,
                "scaler": "StandardScaler",
                "test_size": 0.3,
                "seed": SEED,
            }
        )
        runwell.log_input(runwell.data.from_pandas(frame, name="wine"), context="training")
        for epoch in range(1, EPOCHS + 1):
            model.partial_fit(x_train, y_train, classes=classes)
            runwell.log_metrics(
                {
                    "train_loss": float(log_loss(y_train, model.predict_proba(x_train))),
                    "val_accuracy": float(accuracy_score(y_val, model.predict(x_val))),
                },
                step=epoch,
            )
        predicted = model.predict(x_val)
        accuracy = float(accuracy_score(y_val, predicted))
        f1_macro = float(f1_score(y_val, predicted, average="macro"))
        runwell.log_metrics({"accuracy": accuracy, "f1_macro": f1_macro})
        figure = confusion_figure(y_val, predicted, labels, f"alpha={alpha:g}")
        runwell.log_figure(figure, "confusion_matrix.png")
        plt.close(figure)
        run = runwell.active_run()
        assert run is not None
        return Result(alpha=alpha, accuracy=accuracy, f1_macro=f1_macro, run_id=run.info.run_id)


def main() -> None:
    runwell.set_experiment(EXPERIMENT)
    frame, labels = load_data()
    results = [train(alpha, frame, labels) for alpha in ALPHAS]

    print(f"Logged {len(results)} runs to '{EXPERIMENT}' at {runwell.get_tracking_uri()}")
    print(f"{'alpha':>8}  {'accuracy':>8}  {'f1_macro':>8}  run id")
    for r in results:
        print(f"{r.alpha:>8g}  {r.accuracy:>8.3f}  {r.f1_macro:>8.3f}  {r.run_id}")
    best = max(results, key=lambda r: (r.f1_macro, r.accuracy))
    print(f"Best: alpha={best.alpha:g}; compare: runwell runs list --experiment-name {EXPERIMENT}")


if __name__ == "__main__":
    main()
