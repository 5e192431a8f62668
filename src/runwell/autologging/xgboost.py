"""XGBoost autologging: ``runwell.xgboost.autolog()`` (or ``runwell.autolog()``).

``xgboost.train`` and the ``fit`` of the scikit-learn API estimators (``XGBClassifier``,
``XGBRegressor``, ``XGBRanker``, ``XGBRF*``) are patched; an estimator's fit logs once, not
once more for the ``train`` it calls (boosting.py). A run gets:

- params: ``train``'s ``params`` and its settings (``num_boost_round``, ``maximize``,
  ``early_stopping_rounds``, ``verbose_eval``), or an estimator's ``get_params()`` with the
  tags ``estimator_name`` / ``estimator_class``;
- metrics: every evaluation result, ``<eval name>-<metric>`` (``validation_0-rmse``) at step =
  boosting round, logged while training runs; with early stopping, ``stopped_iteration`` and
  ``best_iteration`` (XGBoost's, 0-based) and the metrics of the best round once more, one
  step after the last;
- artifacts: ``feature_importance_<type>.json`` and ``.png`` per ``importance_types``
  (``Booster.get_score``); the model ``model`` in ``model_format`` (runwell.xgboost flavor)
  with its signature; the training data as a run input (from the DMatrix: missing values are
  NaN; a DMatrix of more than ``MAX_DENSE`` cells, or one that keeps no data such as a
  QuantileDMatrix, is not described and gives no input example).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.autologging import boosting, config, integrations, patching, versions
from runwell.autologging.boosting_job import TrainingData
from runwell.errors import InvalidArgument
from runwell.models.model import Model
from runwell.models.signature import ModelSignature

NAME = "xgboost"
IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")
DEFAULT_IMPORTANCE_TYPES = ("weight",)
MODEL_FORMATS = ("ubj", "json")
MAX_DENSE = 10_000_000
# train's arguments that are data, code or outputs rather than settings: not params.
NOT_PARAMS = frozenset(
    {"params", "dtrain", "evals", "obj", "evals_result", "xgb_model", "callbacks"}
    | {"custom_metric", "feval"}
)

versions.set_supported_range(NAME, "2.0", "3.2")


class XGBoostIntegration(integrations.Integration):
    name = NAME
    library = "xgboost"
    extra_defaults = {
        "importance_types": DEFAULT_IMPORTANCE_TYPES,
        "model_format": "ubj",
        "registered_model_name": None,
    }

    def check(self, settings: config.AutologConfig) -> None:
        check_importance_types(settings.option("importance_types"), IMPORTANCE_TYPES)
        fmt = settings.option("model_format")
        if fmt not in MODEL_FORMATS:
            raise InvalidArgument(
                f"Invalid autolog option 'model_format': expected one of "
                f"{', '.join(MODEL_FORMATS)}, got {fmt!r}."
            )
        check_registered_model_name(settings.option("registered_model_name"))

    def install(self, patches: patching.Patches, module: Any) -> None:
        import xgboost.sklearn
        import xgboost.training

        boosting.patch_train(patches, LIBRARY, xgboost.training, xgboost, xgboost.sklearn)
        hook = boosting.fit_hook(LIBRARY)
        for cls in boosting.fit_classes(xgboost.sklearn, xgboost.sklearn.XGBModel):
            patches.wrap(cls, "fit", hook)


def check_importance_types(value: Any, allowed: Sequence[str]) -> None:
    """Shared with lightgbm.py: a list of importance type names."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidArgument(
            f"Invalid autolog option 'importance_types': expected a list of "
            f"{', '.join(allowed)}, got {value!r}."
        )
    unknown = [kind for kind in value if kind not in allowed]
    if unknown:
        raise InvalidArgument(
            f"Invalid autolog option 'importance_types': {unknown[0]!r} is not one of "
            f"{', '.join(allowed)}."
        )


def check_registered_model_name(value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidArgument(
            f"Invalid autolog option 'registered_model_name': expected None or a model name, "
            f"got {value!r}."
        )


INTEGRATION = XGBoostIntegration()


def autolog(
    importance_types: Sequence[str] | None = DEFAULT_IMPORTANCE_TYPES,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, Any] | None = None,
    synchronous: bool = False,
) -> None:
    """Turn XGBoost autologging on (or off with ``disable=True``); see the module.

    ``importance_types``: ``Booster.get_score`` types to log (None: ``["weight"]``; ``[]``:
    none). ``model_format``: ``ubj`` or ``json``. ``synchronous``: log the model, importances
    and dataset before training returns.
    """
    options = dict(locals())
    if importance_types is None:
        options["importance_types"] = DEFAULT_IMPORTANCE_TYPES
    integrations.configure(NAME, options)


# ---------------------------------------------------------------- the library's parts


@functools.cache
def _callback_class() -> type:
    import xgboost.callback

    class RunwellMetrics(xgboost.callback.TrainingCallback):
        """Feeds each round's evaluation results to runwell's recorder; never stops training."""

        def __init__(self, recorder: boosting.MetricRecorder) -> None:
            super().__init__()
            self.recorder = recorder

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            self.recorder.record(
                epoch,
                (
                    (boosting.metric_key(data, metric), values[-1])
                    for data, metrics in evals_log.items()
                    for metric, values in metrics.items()
                ),
            )
            return False

    return RunwellMetrics


def _callback(recorder: boosting.MetricRecorder) -> Any:
    return _callback_class()(recorder)


def _train_params(arguments: dict[str, Any]) -> dict[str, Any]:
    given = arguments.get("params") or {}
    found: dict[str, Any] = {}
    # params may be a list of pairs, with a key repeated (several eval_metric values).
    for key, value in given.items() if isinstance(given, Mapping) else given:
        if key in found:
            before = found[key]
            found[key] = [*(before if isinstance(before, list) else [before]), value]
        else:
            found[key] = value
    found.update({k: v for k, v in arguments.items() if k not in NOT_PARAMS})
    return found


def _train_data(arguments: dict[str, Any]) -> TrainingData | None:
    dtrain = arguments.get("dtrain")
    if dtrain is None or not hasattr(dtrain, "get_data"):
        return None

    def read(rows: int | None) -> tuple[Any, Any]:
        import numpy as np

        labels = dtrain.get_label()
        labels = labels if labels.size else None
        try:
            matrix = dtrain.get_data()
        except Exception:  # a QuantileDMatrix keeps only its histogram
            return None, labels
        if rows is not None:
            matrix = matrix[:rows]
            labels = None if labels is None else labels[:rows]
        elif matrix.shape[0] * matrix.shape[1] > MAX_DENSE:
            return None, labels
        # Absent entries are XGBoost's missing values. float64, though a DMatrix holds
        # float32: the signature then takes the float64 arrays users predict on.
        dense = np.full(matrix.shape, np.nan, dtype=np.float64)
        entries = matrix.tocoo()
        dense[entries.row, entries.col] = entries.data
        names = dtrain.feature_names
        if not names:
            return dense, labels
        import pandas as pd

        return pd.DataFrame(dense, columns=list(names)), labels

    return TrainingData(read)


def _booster_of(model: Any) -> Any:
    return model.get_booster() if hasattr(model, "get_booster") else model


def _early_stopping(booster: Any, recorder: boosting.MetricRecorder) -> None:
    attributes = booster.attributes()
    if "best_iteration" not in attributes:
        return  # set by XGBoost's EarlyStopping only
    best = int(attributes["best_iteration"])
    stopped = int(booster.num_boosted_rounds()) - 1
    recorder.add({"stopped_iteration": stopped, "best_iteration": best}, step=0)
    values, last = recorder.history.get(best), recorder.last_step
    if values and last is not None:
        recorder.add(values, step=last + 1)


def _importance(booster: Any, kind: str) -> Mapping[str, float]:
    found: Mapping[str, float] = booster.get_score(importance_type=kind)
    return found


def _save(
    model: Any,
    path: str,
    mlmodel: Model,
    signature: ModelSignature | None,
    example: Any,
    settings: config.AutologConfig,
) -> None:
    # runwell.xgboost re-exports autolog from this module: imported when a model is logged.
    from runwell.xgboost import flavor

    flavor.save_model(
        model,
        path,
        signature=signature,
        input_example=example,
        model_format=settings.option("model_format"),
        mlflow_model=mlmodel,
    )


def _predict(model: Any) -> Any:
    from runwell.xgboost import flavor

    return flavor.XGBoostModelWrapper(model).predict


LIBRARY = boosting.Library(
    name=NAME,
    callback=_callback,
    train_params=_train_params,
    train_data=_train_data,
    booster_of=_booster_of,
    early_stopping=_early_stopping,
    importance=_importance,
    save=_save,
    predict=_predict,
)
