"""The regressor's built-in metrics, with MLflow's names and definitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def regressor_metrics(y_true: Any, y_pred: Any, config: Mapping[str, Any]) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as sk

    weights = config.get("sample_weights")
    y = np.asarray(y_true)
    total = float((y * np.asarray(weights)).sum() if weights is not None else y.sum())
    mse = float(sk.mean_squared_error(y, y_pred, sample_weight=weights))
    return {
        "example_count": float(len(y)),
        "mean_absolute_error": float(sk.mean_absolute_error(y, y_pred, sample_weight=weights)),
        "mean_squared_error": mse,
        "root_mean_squared_error": float(np.sqrt(mse)),
        "sum_on_target": total,
        "mean_on_target": total / len(y),
        "r2_score": float(sk.r2_score(y, y_pred, sample_weight=weights)),
        "max_error": float(sk.max_error(y, y_pred)),
        "mean_absolute_percentage_error": float(
            sk.mean_absolute_percentage_error(y, y_pred, sample_weight=weights)
        ),
    }
