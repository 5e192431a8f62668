"""Training metrics of a fitted scikit-learn estimator, with MLflow's names.

Classifiers: ``training_accuracy_score``, ``training_precision_score``,
``training_recall_score``, ``training_f1_score`` (weighted by support, or for ``pos_label``
only when it is given), and with ``predict_proba`` ``training_log_loss`` and
``training_roc_auc`` (one-vs-one, weighted by prevalence, for several classes). Regressors:
``training_mean_squared_error``, ``training_root_mean_squared_error``,
``training_mean_absolute_error``, ``training_r2_score`` (uniform average over outputs). Both:
``training_score``.

Cost is the point: they run inside the user's ``fit``. The estimator predicts once (and once
more with ``predict_proba``); every metric comes from those arrays with numpy, from one
confusion matrix for the classification scores, instead of a dozen calls of
``sklearn.metrics`` that each re-validate and re-encode the labels (that costs more than
fitting a small model). ``training_score`` is the accuracy or R^2 just computed when the
estimator uses scikit-learn's own ``score``. Targets these paths do not cover (multilabel,
multioutput classification, non-sortable labels) fall back to ``sklearn.metrics``. Each metric
that cannot be computed is left out.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

PREFIX = "training_"


def classifier_metrics(
    estimator: Any, X: Any, y: Any, sample_weight: Any, pos_label: Any = None
) -> dict[str, float]:
    import numpy as np

    y_true = np.asarray(y)
    y_pred = np.asarray(estimator.predict(X))
    metrics: dict[str, float] = {}
    try:
        if y_true.ndim != 1 or y_pred.ndim != 1 or y_true.dtype.kind not in "biufUS":
            raise TypeError("not a 1-D array of sortable labels")
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        known = getattr(estimator, "classes_", None)
        metrics.update(_label_scores(y_true, y_pred, weights, pos_label, known))
    except (TypeError, ValueError):
        metrics.update(_sklearn_label_scores(y_true, y_pred, sample_weight, pos_label))
    proba_fn = getattr(estimator, "predict_proba", None)
    classes = getattr(estimator, "classes_", None)
    if proba_fn is not None and classes is not None and y_true.ndim == 1:
        proba = np.asarray(proba_fn(X))
        classes = np.asarray(classes)
        if proba.ndim == 2 and proba.shape[1] == len(classes) >= 2:
            _put(metrics, "log_loss", lambda: _log_loss(y_true, proba, classes, sample_weight))
            _put(metrics, "roc_auc", lambda: _roc_auc(y_true, proba, classes, sample_weight))
    return {PREFIX + k: v for k, v in metrics.items()}


def regressor_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any) -> dict[str, float]:
    import numpy as np

    y_true = np.asarray(y, dtype=float)
    y_pred = np.asarray(estimator.predict(X), dtype=float)
    if y_true.ndim == 1:
        y_true = y_true[:, None]
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    residual = y_true - y_pred
    mae = float(np.mean(np.average(np.abs(residual), axis=0, weights=w)))
    weight = np.ones(len(y_true)) if w is None else w
    centred = y_true - np.average(y_true, axis=0, weights=weight)
    numerator = (weight[:, None] * residual**2).sum(axis=0)
    denominator = (weight[:, None] * centred**2).sum(axis=0)
    # scikit-learn's force_finite: a constant target scores 1.0 when predicted exactly, else 0.0.
    safe = np.where(denominator == 0, 1.0, denominator)
    per_output = np.where(
        denominator == 0, np.where(numerator == 0, 1.0, 0.0), 1 - numerator / safe
    )
    per_output_mse = np.average(residual**2, axis=0, weights=w)
    values = {
        "mean_squared_error": float(np.mean(per_output_mse)),
        "root_mean_squared_error": float(np.mean(np.sqrt(per_output_mse))),
        "mean_absolute_error": mae,
        "r2_score": float(np.mean(per_output)),
    }
    return {PREFIX + k: v for k, v in values.items()}


def score_from(estimator: Any, metrics: dict[str, float]) -> float | None:
    """``training_score`` without predicting again, when ``score`` is scikit-learn's own."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    score = getattr(type(estimator), "score", None)
    if score is ClassifierMixin.score:
        return metrics.get(PREFIX + "accuracy_score")
    if score is RegressorMixin.score:
        return metrics.get(PREFIX + "r2_score")
    return None


# ---------------------------------------------------------------- classification


def _label_scores(
    y_true: Any, y_pred: Any, weights: Any, pos_label: Any, known: Any = None
) -> dict[str, float]:
    import numpy as np

    # The classifier's classes_ hold every training label and every prediction, sorted, so
    # they index both without sorting 2n values; a label seen by neither gets support 0,
    # which leaves the weighted averages as scikit-learn computes them.
    labels: Any = None if known is None else np.asarray(known)
    true_index = pred_index = None
    if labels is not None and labels.ndim == 1 and len(labels):
        true_index = np.searchsorted(labels, y_true).clip(0, len(labels) - 1)
        pred_index = np.searchsorted(labels, y_pred).clip(0, len(labels) - 1)
        if not (
            np.array_equal(labels[true_index], y_true)
            and np.array_equal(labels[pred_index], y_pred)
        ):
            true_index = None
    if true_index is None or pred_index is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
        true_index = np.searchsorted(labels, y_true)
        pred_index = np.searchsorted(labels, y_pred)
    k = len(labels)
    matrix = np.bincount(true_index * k + pred_index, weights=weights, minlength=k * k)
    matrix = matrix.reshape(k, k).astype(float)
    hits = np.diag(matrix)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _ratio(hits, predicted)
    recall = _ratio(hits, support)
    f1 = _ratio(2 * hits, support + predicted)
    total = matrix.sum()
    scores = {"accuracy_score": float(hits.sum() / total) if total else 0.0}
    if pos_label is not None:
        where = np.flatnonzero(labels == pos_label)
        if len(where) == 0:
            return scores
        i = int(where[0])
        chosen = {"precision_score": precision[i], "recall_score": recall[i], "f1_score": f1[i]}
    else:
        weight = support / support.sum() if support.sum() else np.zeros(k)
        chosen = {
            "precision_score": (precision * weight).sum(),
            "recall_score": (recall * weight).sum(),
            "f1_score": (f1 * weight).sum(),
        }
    scores.update({name: float(value) for name, value in chosen.items()})
    return scores


def _ratio(top: Any, bottom: Any) -> Any:
    import numpy as np

    # scikit-learn's zero_division default: an undefined ratio counts as 0.
    return np.divide(top, bottom, out=np.zeros_like(top, dtype=float), where=bottom != 0)


def _sklearn_label_scores(
    y_true: Any, y_pred: Any, sample_weight: Any, pos_label: Any
) -> dict[str, float]:
    from sklearn import metrics as m

    average = "weighted" if pos_label is None else "binary"
    extra: dict[str, Any] = {"sample_weight": sample_weight}
    averaged = {
        **extra,
        "average": average,
        **({} if pos_label is None else {"pos_label": pos_label}),
    }
    found: dict[str, float] = {}
    _put(found, "accuracy_score", lambda: m.accuracy_score(y_true, y_pred, **extra))
    _put(found, "precision_score", lambda: m.precision_score(y_true, y_pred, **averaged))
    _put(found, "recall_score", lambda: m.recall_score(y_true, y_pred, **averaged))
    _put(found, "f1_score", lambda: m.f1_score(y_true, y_pred, **averaged))
    return found


def _log_loss(y_true: Any, proba: Any, classes: Any, sample_weight: Any) -> float:
    import numpy as np

    index = np.searchsorted(classes, y_true)
    index = np.clip(index, 0, len(classes) - 1)
    if not np.array_equal(classes[index], y_true):
        raise ValueError("y contains labels the classifier does not know")
    eps = np.finfo(proba.dtype).eps if proba.dtype.kind == "f" else np.finfo(float).eps
    chosen = np.clip(proba[np.arange(len(index)), index], eps, 1 - eps)
    return float(np.average(-np.log(chosen), weights=sample_weight))


def _roc_auc(y_true: Any, proba: Any, classes: Any, sample_weight: Any) -> float:
    if sample_weight is not None:
        from sklearn.metrics import roc_auc_score

        score = proba[:, 1] if len(classes) == 2 else proba
        return float(
            roc_auc_score(
                y_true, score, sample_weight=sample_weight, average="weighted", multi_class="ovo"
            )
        )
    if len(classes) == 2:
        return _binary_auc(y_true == classes[1], proba[:, 1])
    # One-vs-one, each pair weighted by its share of the samples (scikit-learn's "ovo" with
    # average="weighted").
    total = 0.0
    weights = 0.0
    for a in range(len(classes)):
        for b in range(a + 1, len(classes)):
            mask = (y_true == classes[a]) | (y_true == classes[b])
            is_a = y_true[mask] == classes[a]
            pair = (_binary_auc(is_a, proba[mask, a]) + _binary_auc(~is_a, proba[mask, b])) / 2
            share = float(mask.mean())
            total += pair * share
            weights += share
    return total / weights


def _binary_auc(positive: Any, score: Any) -> float:
    """Area under the ROC curve: the rank-sum statistic, ties counted half."""
    import numpy as np

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("only one class is present in y")
    order = np.argsort(score)
    ordered = score[order]
    # Average ranks of tied scores: each run of equal values gets the mean of its positions.
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    run_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(len(score))
    ranks[order] = np.repeat(run_rank, ends - starts)
    rank_sum = ranks[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _put(metrics: dict[str, float], name: str, compute: Callable[[], Any]) -> None:
    """Add ``name`` when it can be computed and is a finite-or-not number; skip it otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = compute()
        metrics[name] = float(value)
    except (ValueError, TypeError, ZeroDivisionError, IndexError):
        return
