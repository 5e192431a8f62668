"""What scikit-learn autologging records for one fit, from autolog's background thread.

``background_job`` runs after the patched ``fit`` returned (see sklearn.py), on a copy of the
fitted estimator (the user may refit the original meanwhile), with the training data the
call got: params, tags and metrics in one batch, then a search's extras, the dataset and the
model. Each part is attempted on its own: one that fails is reported once as autolog's
warning and the others still run. The training arrays are read here, after ``fit`` returned:
changing them in place before ``runwell.autologging.flush()`` changes what is logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runwell.autologging import patching
from runwell.autologging import sklearn_search as search
from runwell.autologging.config import AutologConfig
from runwell.autologging.models import log_model_to_run
from runwell.autologging.session import RunScope
from runwell.autologging.sklearn_metrics import classifier_metrics, regressor_metrics, score_from
from runwell.entities import DatasetInput, InputTag, Metric, Param, RunTag
from runwell.errors import RunwellError
from runwell.models.model import Model
from runwell.models.signature import signature_from_example

NAME = "sklearn"
EXAMPLE_ROWS = 5
SILHOUETTE_SAMPLE = 1000
DATASET_CONTEXT = "mlflow.data.context"


def background_job(
    scope: RunScope, settings: AutologConfig, estimator: Any, X: Any, y: Any, weight: Any
) -> None:
    """Everything one autologged fit records, on ``estimator`` (a copy of the fitted one)."""
    params: dict[str, str] = {}
    _attempt("reading the params", lambda: params.update(_params(estimator)))
    tags = _estimator_tags(estimator)
    if not scope.owned:
        tags.update(settings.extra_tags)  # runs autolog starts got them when created
    metrics: dict[str, float] = {}
    _attempt(
        "computing training metrics",
        lambda: metrics.update(training_metrics(estimator, X, y, weight, settings)),
    )
    is_search = search.is_search(estimator)
    if is_search:
        best_params, best_metrics = search.parent_values(estimator)
        params.update(best_params)
        metrics.update(best_metrics)
    if y is not None and "training_score" not in metrics and hasattr(estimator, "score"):
        _attempt("computing training_score", lambda: _score(metrics, estimator, X, y, weight))
    if _is_clusterer(estimator):
        _attempt("computing the silhouette score", lambda: _silhouette(metrics, estimator, X))
    _attempt("logging params, metrics and tags", lambda: _log_values(scope, params, metrics, tags))
    if is_search:
        _attempt("logging cv_results.csv", lambda: search.log_cv_results(scope, estimator))
        runs = settings.option("max_tuning_runs")
        child_tags = _estimator_tags(estimator.estimator)
        _attempt(
            "logging the search's child runs",
            lambda: search.log_child_runs(scope, estimator, runs, child_tags),
        )
    if settings.log_datasets and X is not None:
        _attempt("logging the training dataset", lambda: _log_dataset(scope, X, y))
    if settings.log_models:
        _attempt("logging the model", lambda: log_estimator(scope, settings, estimator, X, "model"))
        best = getattr(estimator, "best_estimator_", None) if is_search else None
        if best is not None:
            _attempt(
                "logging best_estimator",
                lambda: log_estimator(scope, settings, best, X, "best_estimator"),
            )


def _log_values(
    scope: RunScope, params: dict[str, str], metrics: dict[str, float], tags: dict[str, str]
) -> None:
    now = int(time.time() * 1000)
    batch_metrics = [Metric(key=k, value=v, timestamp=now) for k, v in metrics.items()]
    batch_params = [Param(key=k, value=v) for k, v in params.items()]
    batch_tags = [RunTag(key=k, value=v) for k, v in tags.items()]
    try:
        scope.client.log_batch(scope.run_id, batch_metrics, batch_params, batch_tags)
    except RunwellError:
        # A user run refits with other params: the store refuses the changed values (as
        # MLflow does); keep the metrics and tags, and report the params.
        scope.client.log_batch(scope.run_id, batch_metrics, (), batch_tags)
        scope.client.log_batch(scope.run_id, params=batch_params)


def _params(estimator: Any) -> dict[str, str]:
    return {k: search.param_text(v) for k, v in estimator.get_params(deep=True).items()}


def training_metrics(
    estimator: Any, X: Any, y: Any, weight: Any, settings: AutologConfig
) -> dict[str, float]:
    """Classifier or regressor training metrics, with ``training_score`` when it comes free."""
    from sklearn.base import is_classifier, is_regressor

    if y is None or X is None or not hasattr(estimator, "predict"):
        return {}
    if is_classifier(estimator):
        found = classifier_metrics(estimator, X, y, weight, settings.option("pos_label"))
    elif is_regressor(estimator):
        found = regressor_metrics(estimator, X, y, weight)
    else:
        return {}
    score = score_from(estimator, found)
    if score is not None:
        found["training_score"] = score
    return found


def _attempt(what: str, action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception as exc:
        patching.report_failure(NAME, what, exc)


def _estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def _score(metrics: dict[str, float], estimator: Any, X: Any, y: Any, weight: Any) -> None:
    import inspect

    takes_weight = "sample_weight" in inspect.signature(estimator.score).parameters
    if weight is not None and takes_weight:
        value = estimator.score(X, y, sample_weight=weight)
    else:
        value = estimator.score(X, y)
    metrics["training_score"] = float(value)


def _is_clusterer(estimator: Any) -> bool:
    import sklearn.base

    check = getattr(sklearn.base, "is_clusterer", None)
    if check is not None:
        return bool(check(estimator))
    return getattr(estimator, "_estimator_type", None) == "clusterer"


def _silhouette(metrics: dict[str, float], estimator: Any, X: Any) -> None:
    import numpy as np
    from sklearn.metrics import silhouette_score

    labels = getattr(estimator, "labels_", None)
    if labels is None or X is None:
        return
    labels = np.asarray(labels)
    groups = len(np.unique(labels))
    if not 2 <= groups < len(labels):
        return
    # A sample keeps it cheap: the full score is quadratic in the number of rows.
    sample = min(len(labels), SILHOUETTE_SAMPLE)
    value = silhouette_score(X, labels, sample_size=sample, random_state=0)
    metrics["training_silhouette_score"] = float(value)


def _log_dataset(scope: RunScope, X: Any, y: Any) -> None:
    from runwell import data

    if hasattr(X, "tocsr"):
        return  # scipy sparse: neither from_numpy nor from_pandas describes it
    if type(X).__name__ == "DataFrame":
        dataset = data.from_pandas(X)
    else:
        dataset = data.from_numpy(X, targets=y)
    used = DatasetInput(dataset=dataset, tags=(InputTag(key=DATASET_CONTEXT, value="train"),))
    scope.client.log_inputs(scope.run_id, [used])


def head(X: Any) -> Any:
    """The first rows of the training input (None for sparse or unsliceable inputs)."""
    if X is None or hasattr(X, "tocsr"):
        return None
    if hasattr(X, "iloc"):
        return X.iloc[:EXAMPLE_ROWS]
    try:
        return X[:EXAMPLE_ROWS]
    except (TypeError, KeyError, IndexError):
        return None


def log_estimator(
    scope: RunScope, settings: AutologConfig, estimator: Any, X: Any, name: str
) -> str | None:
    """Log ``estimator`` as the logged model ``name`` of the run; its id (None: not loggable)."""
    # runwell.sklearn re-exports autolog from this package, so it is imported here, when the
    # first model is logged, not when this module loads.
    from runwell.sklearn import flavor

    if not callable(getattr(estimator, "predict", None)):
        return None  # runwell.sklearn's pyfunc needs predict(); transformers are not logged
    example = head(X) if (settings.log_input_examples or settings.log_model_signatures) else None
    signature = None
    if example is not None and settings.log_model_signatures and not settings.log_input_examples:
        signature = signature_from_example(estimator.predict, example)

    def save(path: str, model: Model) -> None:
        flavor.save_model(
            estimator,
            path,
            serialization_format=settings.option("serialization_format"),
            signature=signature,
            input_example=example if settings.log_input_examples else None,
            mlflow_model=model,
        )

    registered = settings.option("registered_model_name") if name == "model" else None
    return log_model_to_run(scope, name, save, registered_model_name=registered)
