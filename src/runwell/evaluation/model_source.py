"""What ``evaluate``'s ``model`` argument can be, turned into something that predicts.

A model URI (``runs:/``, ``models:/``, a path) is loaded with ``runwell.pyfunc.load_model``;
a PyFuncModel is used as is; any object with ``predict`` (a fitted estimator) or a plain
function is called on the features. For sklearn and XGBoost models loaded through pyfunc the
estimator itself predicts, as in MLflow, so ``predict_proba`` and sklearn's ``score`` are
available to the classifier's probability metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runwell.errors import InvalidArgument
from runwell.pyfunc import PyFuncModel, load_model

# pyfunc loaders whose underlying estimator MLflow's evaluator calls directly.
_RAW_LOADERS = ("runwell.sklearn", "runwell.xgboost")


@dataclass(frozen=True)
class Predictor:
    """``model`` answers predict (and maybe predict_proba); ``sklearn`` says it has score."""

    model: Any
    sklearn: bool
    model_id: str | None


class _Function:
    def __init__(self, function: Any) -> None:
        self.predict = function


def predictor(model: Any, model_config: Mapping[str, Any] | None, env_manager: str) -> Predictor:
    if env_manager != "local":
        if env_manager in ("virtualenv", "conda", "uv"):
            raise InvalidArgument(
                f"env_manager={env_manager!r} is not supported by runwell's evaluate yet: "
                "evaluate in the current environment with env_manager='local'."
            )
        raise InvalidArgument(
            f"Invalid env_manager {env_manager!r}: expected 'local', 'virtualenv', 'conda' or 'uv'."
        )
    model_id = None
    if isinstance(model, str):
        model_id = _model_id(model)
        model = load_model(model, model_config=model_config)
    elif model_config:
        raise InvalidArgument(
            "model_config applies only when model is a URI; pass it to "
            "runwell.pyfunc.load_model(uri, model_config=...) instead."
        )
    if isinstance(model, PyFuncModel):
        if model_id is None:
            model_id = getattr(model.metadata, "model_id", None)
        if model.loader_module in _RAW_LOADERS:
            raw = model.get_raw_model()
            return Predictor(raw, _is_sklearn(raw), model_id)
        return Predictor(model, False, model_id)
    if callable(getattr(model, "predict", None)):
        return Predictor(model, _is_sklearn(model), None)
    if callable(model):
        return Predictor(_Function(model), False, None)
    raise InvalidArgument(
        f"Invalid model of type {type(model).__name__}: expected a model URI, a PyFuncModel, "
        "an object with predict(), a function, or None with a predictions column."
    )


def _is_sklearn(model: Any) -> bool:
    return type(model).__module__.startswith(("sklearn.", "xgboost.")) and callable(
        getattr(model, "score", None)
    )


def _model_id(uri: str) -> str | None:
    """The logged model id of a ``models:/m-...`` URI (MLflow 3's logged-model URIs)."""
    if uri.startswith("models:/m-"):
        return uri[len("models:/") :].split("/")[0]
    return None


def predictions_of(output: Any, column: str | None) -> Any:
    """A model's output as one numpy column; a frame/dict output needs ``predictions`` named
    when it has several columns."""
    import numpy as np
    import pandas as pd

    if isinstance(output, dict):
        output = pd.DataFrame(output)
    if isinstance(output, pd.DataFrame):
        if column is not None and column in output.columns:
            return output[column].to_numpy()
        if len(output.columns) == 1:
            return output.iloc[:, 0].to_numpy()
        raise InvalidArgument(
            f"The model returned columns {list(output.columns)}: name the one to evaluate "
            "with `predictions`."
        )
    array = np.asarray(output)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    return array
