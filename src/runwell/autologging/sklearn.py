"""scikit-learn autologging: ``runwell.sklearn.autolog()`` (or ``runwell.autolog()``).

Every scikit-learn estimator's ``fit`` / ``fit_transform`` / ``fit_predict`` is patched; a
meta-estimator or pipeline logs once, for the outermost call. What a fit records (params from
``get_params(deep=True)``, the tags ``estimator_name`` / ``estimator_class``, the training
metrics of sklearn_metrics.py with ``training_score``, a search's ``best_<param>``,
``best_cv_score``, ``cv_results.csv``, child runs and ``best_estimator`` model, the training
data as a run input, the model ``model`` with its signature) is logged by sklearn_data.py.

Inside the user's call, autolog only picks the run (session.py: the active one, or a new one
it ends when the call returns, FAILED if the call raised), copies the fitted estimator
(pickle; the user may refit it at once) and remembers it for post-training metrics
(sklearn_post.py: ``predict``, ``predict_proba``, ``predict_log_proba`` and ``score`` are
patched too). The logging itself is a job for autolog's background thread (worker.py), so a
fit costs the user a run's creation and little else; ``runwell.autologging.flush()`` waits
for it, and ``synchronous=True`` does it before ``fit`` returns.

Classes are found without importing all of scikit-learn: the sklearn classes already defined
when autolog turns on (with the sklearn classes of their MROs, where methods such as
``LinearClassifierMixin.predict`` live), and every one defined later through a
``BaseEstimator.__init_subclass__`` hook (removed again by ``autolog(disable=True)``, like
every other patch).
"""

from __future__ import annotations

import functools
import inspect
import pickle
from typing import Any

from runwell.autologging import config, integrations, patching, session, versions, worker
from runwell.autologging import sklearn_post as post
from runwell.autologging.sklearn_data import background_job
from runwell.errors import InvalidArgument

NAME = "sklearn"
FIT_METHODS = ("fit", "fit_transform", "fit_predict")
SERIALIZATION_FORMATS = ("skops", "cloudpickle", "pickle")
WHAT = "logging the fit"

versions.set_supported_range(NAME, "1.4", "1.9")


class SklearnIntegration(integrations.Integration):
    name = NAME
    library = "sklearn"
    extra_defaults = {
        "max_tuning_runs": 5,
        "log_post_training_metrics": True,
        "pos_label": None,
        "serialization_format": "skops",
        "registered_model_name": None,
    }

    def check(self, settings: config.AutologConfig) -> None:
        runs = settings.option("max_tuning_runs")
        if runs is not None and (not isinstance(runs, int) or isinstance(runs, bool) or runs < 0):
            raise InvalidArgument(
                f"Invalid autolog option 'max_tuning_runs': expected None or a whole number "
                f">= 0, got {runs!r}."
            )
        fmt = settings.option("serialization_format")
        if fmt not in SERIALIZATION_FORMATS:
            raise InvalidArgument(
                f"Invalid autolog option 'serialization_format': expected one of "
                f"{', '.join(SERIALIZATION_FORMATS)}, got {fmt!r}."
            )
        if not isinstance(settings.option("log_post_training_metrics"), bool):
            raise InvalidArgument(
                "Invalid autolog option 'log_post_training_metrics': expected True or False."
            )

    def install(self, patches: patching.Patches, module: Any) -> None:
        import sklearn.base
        import sklearn.metrics

        for cls in _estimator_classes(sklearn.base):
            _patch_class(patches, cls)
        _watch_new_classes(patches, sklearn.base.BaseEstimator)
        for name in sklearn.metrics.__all__:
            if name.endswith(post.METRIC_SUFFIXES):
                _patch_metric(patches, sklearn.metrics, name)


INTEGRATION = SklearnIntegration()


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    pos_label: Any = None,
    serialization_format: str = "skops",
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
    synchronous: bool = False,
) -> None:
    """Turn scikit-learn autologging on (or off with ``disable=True``); see the module.

    ``max_tuning_runs``: child runs for a parameter search's best candidates (None: all).
    ``pos_label``: score precision, recall and F1 of that class only (default: weighted).
    ``synchronous``: log the model, datasets and search child runs before ``fit`` returns.
    """
    integrations.configure(NAME, dict(locals()))


# ---------------------------------------------------------------- patching


def _estimator_classes(base_module: Any) -> list[type]:
    found: list[type] = [
        value
        for name, value in vars(base_module).items()
        if isinstance(value, type) and name.endswith("Mixin")
    ]
    pending = [base_module.BaseEstimator]
    seen: set[type] = set()
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
    # Methods often live in mixins outside sklearn.base (LinearClassifierMixin.predict).
    for cls in list(seen):
        seen.update(cls.__mro__)
    found.extend(cls for cls in seen if _is_sklearn(cls))
    return found


def _is_sklearn(cls: type) -> bool:
    return str(getattr(cls, "__module__", "")).startswith("sklearn.")


def _patch_class(patches: patching.Patches, cls: type) -> None:
    for name in FIT_METHODS:
        _wrap_method(patches, cls, name, _fit_hook)
    for name in post.PREDICT_METHODS:
        _wrap_method(patches, cls, name, post.prediction_hook(NAME))
    _wrap_method(patches, cls, "score", post.score_hook(NAME))


def _wrap_method(patches: patching.Patches, cls: type, name: str, hook: Any) -> None:
    raw = cls.__dict__.get(name)
    if inspect.isfunction(raw):
        patches.wrap(cls, name, hook)
    elif inspect.isfunction(getattr(raw, "fn", None)) and hasattr(raw, "check"):
        # scikit-learn's available_if descriptor (Pipeline.predict...): wrap the function it
        # guards, so the method stays hidden where it is unavailable.
        patches.wrap(raw, "fn", hook)


def _watch_new_classes(patches: patching.Patches, base: type) -> None:
    """Patch the sklearn classes defined after now (modules scikit-learn imports lazily)."""
    previous = base.__dict__.get("__init_subclass__")

    def init_subclass(cls: type, /, **kwargs: Any) -> None:
        if previous is not None:
            previous.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
        if _is_sklearn(cls):
            try:
                for owner in cls.__mro__:
                    if _is_sklearn(owner):
                        _patch_class(patches, owner)
            except Exception as exc:  # defining the class must succeed whatever happens here
                patching.report_failure(NAME, f"patching {cls.__name__}", exc)

    patches.replace(base, "__init_subclass__", classmethod(init_subclass))


def _patch_metric(patches: patching.Patches, metrics_module: Any, name: str) -> None:
    import sys

    function = getattr(metrics_module, name, None)
    if not inspect.isfunction(function):
        return
    hook = post.metric_hook(NAME, name)
    home = sys.modules.get(str(function.__module__))
    if home is None or getattr(home, name, None) is not function:
        patches.wrap(metrics_module, name, hook)
        return
    # One wrapper in both modules: pickle finds it under its own module and name (a scorer
    # sent to joblib workers), and `sklearn.metrics._classification.f1_score` is patched too.
    if patches.wrap(home, name, hook):
        patches.replace(metrics_module, name, getattr(home, name))


# ---------------------------------------------------------------- the fit hook


def _fit_hook(original: Any, estimator: Any, *args: Any, **kwargs: Any) -> Any:
    settings = config.get_config(NAME) or config.AutologConfig()
    # Nothing inside a scikit-learn fit logs, so a run autolog starts is recorded afterwards
    # in the background (session.py): the fit pays for no database work.
    scope = session.begin(NAME, settings, deferred=True)
    if scope is None:
        return original(estimator, *args, **kwargs)
    try:
        result = original(estimator, *args, **kwargs)
    except BaseException:
        try:
            session.end(scope, failed=True)
        except Exception as exc:
            patching.report_failure(NAME, "ending the run", exc)
        raise
    job = None
    inline = True
    try:
        X, y, weight = fit_data(original.function, estimator, args, kwargs)
        if settings.extra.get("log_post_training_metrics", True):
            post.track_model(estimator, scope)
        copy = _snapshot(estimator)
        # A model that cannot be copied is logged now, before the user's code can change it.
        inline = settings.synchronous or copy is None
        job = functools.partial(
            background_job, scope, settings, estimator if copy is None else copy, X, y, weight
        )
    finally:
        session.end(scope)
    # Queued once the run has ended (and, deferred, been recorded): the job's writes never
    # wait for this thread's.
    worker.submit(NAME, WHAT, job, synchronous=inline)
    return result


def _snapshot(estimator: Any) -> Any:
    """A copy of the fitted estimator for the background thread (None when it cannot be)."""
    try:
        return pickle.loads(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return None


@functools.lru_cache(maxsize=1024)
def _signature(function: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def fit_data(
    function: Any, estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """(X, y, sample_weight) of a ``fit``-like call, whatever its parameters are called."""
    signature = _signature(function)
    if signature is None:
        return (args[0] if args else None), (args[1] if len(args) > 1 else None), None
    try:
        bound = signature.bind(estimator, *args, **kwargs)
    except TypeError:
        return None, None, None
    arguments = dict(bound.arguments)
    names = list(signature.parameters)
    extra: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            extra = arguments.pop(name, {}) or {}
    X = arguments.get(names[1]) if len(names) > 1 else None
    y = arguments.get("y", arguments.get("Y"))
    weight = arguments.get("sample_weight", extra.get("sample_weight"))
    return X, y, weight
