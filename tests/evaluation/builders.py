"""Tiny evaluation datasets and fitted models shared by the evaluation tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression

from runwell.evaluation import EvaluationResult


def binary_frame(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    """Two features and a 0/1 ``label`` the first feature mostly decides."""
    rng = np.random.default_rng(seed)
    frame: pd.DataFrame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    frame["label"] = (frame["a"] + 0.5 * rng.normal(size=rows) > 0).astype(int)
    return frame


def multiclass_frame(rows: int = 45, seed: int = 1) -> pd.DataFrame:
    """Three well separated classes (0, 1, 2) in two features, with a little overlap."""
    rng = np.random.default_rng(seed)
    label = np.arange(rows) % 3
    frame: pd.DataFrame = pd.DataFrame(
        {"a": label + rng.normal(scale=0.6, size=rows), "b": rng.normal(size=rows)}
    )
    frame["label"] = label
    return frame


def regression_frame(rows: int = 30, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame: pd.DataFrame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    frame["y"] = 3 * frame["a"] - frame["b"] + 10 + rng.normal(scale=0.3, size=rows)
    return frame


def classifier(frame: pd.DataFrame, **kwargs: Any) -> LogisticRegression:
    return LogisticRegression(**kwargs).fit(frame[["a", "b"]], frame["label"])


def regressor(frame: pd.DataFrame) -> LinearRegression:
    return LinearRegression().fit(frame[["a", "b"]], frame["y"])


def run_id_of(result: EvaluationResult) -> str:
    """The run an evaluation logged to (``evaluate`` always sets it)."""
    assert result.run_id is not None
    return result.run_id
