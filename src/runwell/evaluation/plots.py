"""The classifier's plots as matplotlib Figures (built without pyplot's global state).

Confusion matrix (normalized by true label), ROC and precision-recall curves (one line for a
binary classifier, one per class one-vs-rest for a multiclass one) and a calibration curve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runwell.evaluation.classifier import Labels


def _figure(title: str, xlabel: str, ylabel: str) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 4.0), dpi=175)
    ax = figure.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return figure, ax


def confusion_matrix(y_true: Any, y_pred: Any, labels: Labels, weights: Any) -> Any:
    from sklearn import metrics as sk

    matrix = sk.confusion_matrix(
        y_true, y_pred, labels=labels.values, normalize="true", sample_weight=weights
    )
    figure, ax = _figure("Normalized confusion matrix", "Predicted label", "True label")
    sk.ConfusionMatrixDisplay(matrix, display_labels=labels.values).plot(cmap="Blues", ax=ax)
    return figure


def _one_vs_rest(y_true: Any, y_proba: Any, labels: Labels) -> Iterator[tuple[str, Any, Any]]:
    """(legend label, 0/1 truth, score) per line to draw."""
    import numpy as np

    y = np.asarray(y_true)
    if labels.binary:
        yield "", (y == labels.pos_label).astype(int), y_proba[:, labels.pos_index]
        return
    for index, label in enumerate(labels.values):
        yield f"label={label}, ", (y == label).astype(int), y_proba[:, index]


def roc_curve(y_true: Any, y_proba: Any, labels: Labels, weights: Any) -> Any:
    from sklearn import metrics as sk

    figure, ax = _figure("ROC curve", "False Positive Rate", "True Positive Rate")
    for name, truth, score in _one_vs_rest(y_true, y_proba, labels):
        fpr, tpr, _ = sk.roc_curve(truth, score, sample_weight=weights)
        auc = sk.roc_auc_score(truth, score, sample_weight=weights)
        ax.plot(fpr, tpr, drawstyle="steps-post", linewidth=1, label=f"{name}AUC={auc:.3f}")
    ax.plot([0, 1], [0, 1], color="gray", alpha=0.3, linestyle="dashed")
    ax.legend(loc="best")
    return figure


def precision_recall_curve(y_true: Any, y_proba: Any, labels: Labels, weights: Any) -> Any:
    from sklearn import metrics as sk

    figure, ax = _figure("Precision recall curve", "Recall", "Precision")
    for name, truth, score in _one_vs_rest(y_true, y_proba, labels):
        precision, recall, _ = sk.precision_recall_curve(truth, score, sample_weight=weights)
        ap = sk.average_precision_score(truth, score, sample_weight=weights)
        ax.plot(recall, precision, drawstyle="steps-post", linewidth=1, label=f"{name}AP={ap:.3f}")
    ax.plot([0, 1], [1, 0], color="gray", alpha=0.3, linestyle="dashed")
    ax.legend(loc="best")
    return figure


def calibration_curve(y_true: Any, y_proba: Any, labels: Labels, bins: int = 10) -> Any:
    from sklearn.calibration import calibration_curve as curve

    figure, ax = _figure("Calibration curve", "Mean predicted probability", "Fraction of positives")
    ax.plot([0, 1], [0, 1], color="gray", alpha=0.3, linestyle="dashed", label="Perfect")
    for name, truth, score in _one_vs_rest(y_true, y_proba, labels):
        if truth.min() == truth.max():
            continue  # a class absent from the data has no curve
        fraction, mean = curve(truth, score, n_bins=bins)
        ax.plot(mean, fraction, marker="o", linewidth=1, label=name.rstrip(", ") or "model")
    ax.legend(loc="best")
    return figure
