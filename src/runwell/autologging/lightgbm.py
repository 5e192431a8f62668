"""LightGBM autologging: ``runwell.lightgbm.autolog()`` (or ``runwell.autolog()``).

``lightgbm.train`` and the ``fit`` of the scikit-learn API estimators (``LGBMClassifier``,
``LGBMRegressor``, ``LGBMRanker``) are patched; an estimator's fit logs once, not once more
for the ``train`` it calls (boosting.py). A run gets:

- params: ``train``'s ``params`` and its settings (``num_boost_round``,
  ``keep_training_booster``), or an estimator's ``get_params()`` with the tags
  ``estimator_name`` / ``estimator_class``;
- metrics: every evaluation result, ``<dataset>-<metric>`` (``valid_0-l2``) at step =
  iteration (0-based), logged while training runs; with early stopping, ``stopped_iteration``
  (iterations trained; the booster returned keeps those up to the best), ``best_iteration``
  (LightGBM's, counted from 1 as ``Booster.best_iteration``) and the best iteration's metrics
  (``Booster.best_score``) once more, one step after the last;
- artifacts: ``feature_importance_<type>.json`` and ``.png`` per ``importance_types``
  (``split``, ``gain``); the model ``model`` (runwell.lightgbm flavor: a Booster in LightGBM's
  text format, an estimator with ``serialization_format``) with its signature; the training
  data as a run input. The raw data of a ``lightgbm.Dataset`` is taken before training (it is
  freed once the Dataset is constructed); a Dataset read from a file or already constructed
  is not described and gives no input example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runwell.autologging import boosting, config, integrations, patching, versions
from runwell.autologging.boosting_job import TrainingData
from runwell.autologging.xgboost import check_importance_types, check_registered_model_name
from runwell.errors import InvalidArgument
from runwell.models.model import Model
from runwell.models.signature import ModelSignature

NAME = "lightgbm"
IMPORTANCE_TYPES = ("split", "gain")
SERIALIZATION_FORMATS = ("skops", "cloudpickle", "pickle")
# train's arguments that are data, code or outputs rather than settings: not params.
NOT_PARAMS = frozenset(
    {"params", "train_set", "valid_sets", "valid_names", "feval", "init_model", "callbacks"}
    | {"fobj", "evals_result", "learning_rates"}
)
# LightGBM runs callbacks by ``order``: after record_evaluation (20), before early_stopping
# (30), which raises to stop; so the iteration it stops at is recorded too.
CALLBACK_ORDER = 25

versions.set_supported_range(NAME, "4.0", "4.7")


class LightGBMIntegration(integrations.Integration):
    name = NAME
    library = "lightgbm"
    extra_defaults = {
        "importance_types": IMPORTANCE_TYPES,
        "serialization_format": "skops",
        "registered_model_name": None,
    }

    def check(self, settings: config.AutologConfig) -> None:
        check_importance_types(settings.option("importance_types"), IMPORTANCE_TYPES)
        fmt = settings.option("serialization_format")
        if fmt not in SERIALIZATION_FORMATS:
            raise InvalidArgument(
                f"Invalid autolog option 'serialization_format': expected one of "
                f"{', '.join(SERIALIZATION_FORMATS)}, got {fmt!r}."
            )
        check_registered_model_name(settings.option("registered_model_name"))

    def install(self, patches: patching.Patches, module: Any) -> None:
        import lightgbm.engine
        import lightgbm.sklearn

        boosting.patch_train(patches, LIBRARY, lightgbm.engine, lightgbm, lightgbm.sklearn)
        hook = boosting.fit_hook(LIBRARY)
        for cls in boosting.fit_classes(lightgbm.sklearn, lightgbm.sklearn.LGBMModel):
            patches.wrap(cls, "fit", hook)


INTEGRATION = LightGBMIntegration()


def autolog(
    importance_types: Sequence[str] | None = IMPORTANCE_TYPES,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    serialization_format: str = "skops",
    extra_tags: dict[str, Any] | None = None,
    synchronous: bool = False,
) -> None:
    """Turn LightGBM autologging on (or off with ``disable=True``); see the module.

    ``importance_types``: ``Booster.feature_importance`` types to log (None: ``["split",
    "gain"]``; ``[]``: none). ``serialization_format``: how a scikit-learn API model is saved
    (``skops``, ``cloudpickle``, ``pickle``; a Booster is always LightGBM's text format).
    ``synchronous``: log the model, importances and dataset before training returns.
    """
    options = dict(locals())
    if importance_types is None:
        options["importance_types"] = IMPORTANCE_TYPES
    integrations.configure(NAME, options)


# ---------------------------------------------------------------- the library's parts


class _Callback:
    """Feeds each iteration's evaluation results to runwell's recorder."""

    def __init__(self, recorder: boosting.MetricRecorder) -> None:
        self.recorder = recorder
        self.order = CALLBACK_ORDER  # on the instance: train() sets a default there otherwise
        self.before_iteration = False

    def __call__(self, env: Any) -> None:
        self.recorder.record(
            env.iteration,
            (
                (boosting.metric_key(result[0], result[1]), result[2])
                for result in env.evaluation_result_list or ()
            ),
        )


def _train_params(arguments: dict[str, Any]) -> dict[str, Any]:
    found = dict(arguments.get("params") or {})
    found.update({k: v for k, v in arguments.items() if k not in NOT_PARAMS})
    return found


def _train_data(arguments: dict[str, Any]) -> TrainingData | None:
    train_set = arguments.get("train_set")
    # Taken now: a constructed Dataset frees its raw data (free_raw_data=True).
    features = getattr(train_set, "data", None)
    if features is None:
        return None
    return TrainingData.of(features, getattr(train_set, "label", None))


def _booster_of(model: Any) -> Any:
    return model.booster_ if hasattr(model, "booster_") else model


def _early_stopping(booster: Any, recorder: boosting.MetricRecorder) -> None:
    best = int(booster.best_iteration)
    if best <= 0:
        return  # set by LightGBM's early_stopping callback only
    # The booster train() returns keeps only the iterations up to the best one: the count
    # trained is the recorder's (steps are 0-based iterations, counted from an init_model).
    last = recorder.last_step
    stopped = last + 1 if last is not None else int(booster.current_iteration())
    recorder.add({"stopped_iteration": stopped, "best_iteration": best}, step=0)
    values = {
        boosting.metric_key(data, metric): float(value)
        for data, metrics in booster.best_score.items()
        for metric, value in metrics.items()
    }
    if values and last is not None:
        recorder.add(values, step=last + 1)


def _importance(booster: Any, kind: str) -> Mapping[str, float]:
    values = booster.feature_importance(importance_type=kind)
    return dict(zip(booster.feature_name(), (float(v) for v in values), strict=True))


def _save(
    model: Any,
    path: str,
    mlmodel: Model,
    signature: ModelSignature | None,
    example: Any,
    settings: config.AutologConfig,
) -> None:
    # runwell.lightgbm re-exports autolog from this module: imported when a model is logged.
    from runwell.lightgbm import flavor

    flavor.save_model(
        model,
        path,
        signature=signature,
        input_example=example,
        serialization_format=settings.option("serialization_format"),
        mlflow_model=mlmodel,
    )


def _predict(model: Any) -> Any:
    from runwell.lightgbm import flavor

    return flavor.LightGBMModelWrapper(model).predict


LIBRARY = boosting.Library(
    name=NAME,
    callback=_Callback,
    train_params=_train_params,
    train_data=_train_data,
    booster_of=_booster_of,
    early_stopping=_early_stopping,
    importance=_importance,
    save=_save,
    predict=_predict,
)
