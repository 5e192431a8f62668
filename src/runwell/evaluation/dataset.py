"""The evaluation data: features, labels and (for a static evaluation) predictions.

``data`` is a pandas DataFrame whose ``targets`` / ``predictions`` arguments name columns, or
a numpy array (or list of rows) with ``targets`` an array of labels. Features are every other
column, or only ``feature_names`` when given; an array's columns are called ``feature_1``...
(zero-padded as MLflow pads them) unless ``feature_names`` names them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runwell.errors import InvalidArgument


@dataclass(frozen=True)
class EvalData:
    """What an evaluator reads; arrays are numpy, ``features`` a DataFrame."""

    features: Any
    labels: Any | None
    predictions: Any | None
    targets_name: str | None
    predictions_name: str | None
    frame: Any | None  # the DataFrame given, for logging it as the run's input dataset


def eval_data(
    data: Any,
    targets: Any,
    predictions: str | None,
    feature_names: Sequence[str] | None,
    static: bool,
) -> EvalData:
    """Check ``data`` against ``targets``/``predictions`` and split it (``static``: no model)."""
    import numpy as np
    import pandas as pd

    if feature_names is not None and len(set(feature_names)) != len(list(feature_names)):
        raise InvalidArgument(
            f"Invalid feature_names {list(feature_names)!r}: expected unique column names."
        )
    if isinstance(data, pd.DataFrame):
        return _from_frame(data, targets, predictions, feature_names, static)
    if isinstance(data, (np.ndarray, list)):
        if static:
            raise InvalidArgument(
                "Invalid data: with no model, data must be a pandas DataFrame whose "
                "`predictions` column holds the model outputs."
            )
        array = np.asarray(data)
        if array.ndim != 2:
            raise InvalidArgument(
                f"Invalid data of shape {array.shape}: expected a 2-D array of feature rows."
            )
        labels = None
        if targets is not None:
            if isinstance(targets, str):
                raise InvalidArgument(
                    "Invalid targets: with a numpy array as data, targets must be an array of "
                    f"labels, not the column name {targets!r}."
                )
            labels = np.asarray(targets)
            if len(labels) != len(array):
                raise InvalidArgument(
                    f"Invalid targets: {len(labels)} labels for {len(array)} rows of data."
                )
        names = _array_feature_names(array.shape[1], feature_names)
        return EvalData(pd.DataFrame(array, columns=names), labels, None, None, None, None)
    raise InvalidArgument(
        f"Invalid data of type {type(data).__name__}: expected a pandas DataFrame, "
        "a numpy array or a list of rows."
    )


def _from_frame(
    frame: Any,
    targets: Any,
    predictions: str | None,
    feature_names: Sequence[str] | None,
    static: bool,
) -> EvalData:
    columns = [str(c) for c in frame.columns]
    labels = None
    if targets is not None:
        if not isinstance(targets, str):
            raise InvalidArgument(
                "Invalid targets: with a DataFrame as data, targets must be the name of its "
                f"label column, not a {type(targets).__name__}."
            )
        if targets not in frame.columns:
            raise InvalidArgument(
                f"Invalid targets {targets!r}: not a column of data (columns: {columns})."
            )
        labels = frame[targets].to_numpy()
    predicted = None
    if static:
        if predictions is None:
            raise InvalidArgument(
                "Either a model or predictions must be given: pass `model`, or name the "
                "column of data that holds the model outputs with `predictions`."
            )
        if predictions not in frame.columns:
            raise InvalidArgument(
                f"Invalid predictions {predictions!r}: not a column of data (columns: {columns})."
            )
        predicted = frame[predictions].to_numpy()
    if feature_names is not None:
        missing = [name for name in feature_names if name not in frame.columns]
        if missing:
            raise InvalidArgument(
                f"Invalid feature_names: {missing} are not columns of data (columns: {columns})."
            )
        features = frame[list(feature_names)]
    else:
        dropped = [c for c in (targets, predictions if static else None) if c is not None]
        features = frame.drop(columns=dropped)
    return EvalData(features, labels, predicted, targets, predictions, frame)


def _array_feature_names(count: int, given: Sequence[str] | None) -> list[str]:
    if given is not None:
        if len(given) != count:
            raise InvalidArgument(
                f"Invalid feature_names: {len(given)} names for {count} feature columns."
            )
        return [str(name) for name in given]
    width = math.ceil(math.log10(count + 1))
    return [f"feature_{str(i + 1).zfill(width)}" for i in range(count)]
