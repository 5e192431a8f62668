"""The classifier's built-in metrics, with MLflow's names and definitions.

Binary (two labels): confusion counts, ``accuracy_score``, ``recall_score``,
``precision_score``, ``f1_score`` (``average="binary"`` on the positive label), and with class
probabilities ``log_loss``, ``roc_auc`` and ``precision_recall_auc`` (average precision, as
MLflow reports it). Multiclass: the same scores averaged (``evaluator_config["average"]``,
weighted by default), ``log_loss`` and a one-vs-rest ``roc_auc``. The positive label is the
larger one unless ``evaluator_config["pos_label"]`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runwell.errors import InvalidArgument


@dataclass(frozen=True)
class Labels:
    """The classes, sorted; for two, the positive one and its probability column."""

    values: Any
    pos_label: Any | None
    pos_index: int

    @property
    def binary(self) -> bool:
        return len(self.values) == 2


def labels_of(y_true: Any, y_pred: Any, config: Mapping[str, Any]) -> Labels:
    import numpy as np

    given = config.get("label_list")
    pos_label = config.get("pos_label")
    values = np.unique(np.concatenate([y_true, y_pred])) if given is None else np.array(given)
    values = np.sort(values)
    if len(values) < 2:
        raise InvalidArgument(
            f"Cannot evaluate a classifier on {len(values)} distinct label: give all classes "
            "with evaluator_config={'label_list': [...]}."
        )
    if pos_label is not None and pos_label not in values:
        raise InvalidArgument(
            f"Invalid evaluator_config pos_label {pos_label!r}: not one of the labels "
            f"{values.tolist()}."
        )
    if len(values) != 2:
        return Labels(values, None, 0)
    if pos_label is None:
        return Labels(values, values[-1], 1)
    index = int(np.where(values == pos_label)[0][0])
    # MLflow orders binary labels negative first, positive last.
    ordered = np.append(values[values != pos_label], pos_label)
    return Labels(ordered, pos_label, index)


def classifier_metrics(
    y_true: Any, y_pred: Any, y_proba: Any | None, labels: Labels, config: Mapping[str, Any]
) -> dict[str, float]:
    from sklearn import metrics as sk

    weights = config.get("sample_weights")
    out: dict[str, float] = {}
    if labels.binary:
        average, pos = "binary", labels.pos_label
        counts = sk.confusion_matrix(y_true, y_pred, labels=labels.values).ravel()
        for name, count in zip(
            ("true_negatives", "false_positives", "false_negatives", "true_positives"),
            counts,
            strict=True,
        ):
            out[name] = float(count)
    else:
        average, pos = config.get("average", "weighted"), None
    out["example_count"] = float(len(y_true))
    out["accuracy_score"] = float(sk.accuracy_score(y_true, y_pred, sample_weight=weights))
    for name, fn in (
        ("recall_score", sk.recall_score),
        ("precision_score", sk.precision_score),
        ("f1_score", sk.f1_score),
    ):
        out[name] = float(fn(y_true, y_pred, average=average, pos_label=pos, sample_weight=weights))
    if y_proba is None:
        return out
    out["log_loss"] = float(
        sk.log_loss(y_true, y_proba, labels=labels.values, sample_weight=weights)
    )
    if labels.binary:
        scores = y_proba[:, labels.pos_index]
        positive = y_true == labels.pos_label
        out["roc_auc"] = float(sk.roc_auc_score(positive, scores, sample_weight=weights))
        out["precision_recall_auc"] = float(
            sk.average_precision_score(
                y_true, scores, pos_label=labels.pos_label, sample_weight=weights
            )
        )
    elif average in ("macro", "weighted"):
        out["roc_auc"] = float(
            sk.roc_auc_score(
                y_true, y_proba, sample_weight=weights, average=average, multi_class="ovr"
            )
        )
    return out


def per_class_metrics(y_true: Any, y_pred: Any, labels: Labels, config: Mapping[str, Any]) -> Any:
    """One row per class: its one-vs-rest confusion counts and scores (a DataFrame)."""
    import numpy as np
    import pandas as pd

    rows = []
    binary = Labels(np.array([0, 1]), 1, 1)
    for label in labels.values:
        truth = np.where(np.asarray(y_true) == label, 1, 0)
        guess = np.where(np.asarray(y_pred) == label, 1, 0)
        rows.append(
            {"positive_class": label, **classifier_metrics(truth, guess, None, binary, config)}
        )
    return pd.DataFrame(rows)


def probabilities(model: Any, features: Any) -> Any | None:
    """``predict_proba`` of a model that has it, else None (no probability metrics)."""
    proba = getattr(model, "predict_proba", None)
    if not callable(proba):
        return None
    import numpy as np

    return np.asarray(proba(features))
