"""What the gradient-boosting integrations share (xgboost.py, lightgbm.py).

Both libraries train through one function (``xgboost.train``, ``lightgbm.train``) that their
scikit-learn API estimators (``XGBClassifier.fit``, ``LGBMRegressor.fit`` ...) call too. A
``Library`` describes one of them; this module turns it into the hooks:

- ``train_hook``: ``train(params, data, ...)`` logs the params and the train call's settings.
- ``fit_hook``: an estimator's ``fit`` logs ``get_params()`` and the estimator's tags instead,
  and the model logged is the estimator. Its inner ``train`` is not autologged twice: the fit
  leaves its ``MetricRecorder`` for the next ``train`` call of the thread (``train_entry``,
  which replaces the library's ``train``), which only adds the recorder's callback.

Either way a callback added to the training records each iteration's evaluation results as
``<dataset>-<metric>`` at step = iteration, and ``MetricRecorder`` logs them while training
runs: the first iteration at once (with the params and tags, so the run shows them early),
then one ``log_batch`` per ``FLUSH_SECONDS`` at most, and the rest when training ends, with
the early-stopping metrics (``stopped_iteration``, ``best_iteration`` and every metric's value
at the best iteration, logged once more one step after the last). Model, importances and
dataset are a background job (boosting_job.py).

The run is started before training (``session.begin``, not deferred): the metrics stream into
it, and the user's own callbacks see it as the active run.
"""

from __future__ import annotations

import functools
import inspect
import pickle
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from runwell.autologging import config, patching, session, worker
from runwell.autologging.boosting_job import ModelJob, TrainingData
from runwell.entities import Metric, Param, RunTag
from runwell.errors import RunwellError
from runwell.models.model import Model
from runwell.models.signature import ModelSignature
from runwell.store import validation

FLUSH_SECONDS = 1.0
MAX_BUFFERED = validation.MAX_METRICS_PER_BATCH
WHAT = "logging the model"
_BAD_KEY_CHARS = re.compile(r"[^/\w.\- :]")


@dataclass(frozen=True)
class Library:
    """One boosting library, as the shared hooks and the background job need it.

    Attributes:
        name: the integration's name (``xgboost``, ``lightgbm``).
        callback: a training callback that feeds a recorder.
        train_params: ``train``'s bound arguments -> the params to log.
        train_data: ``train``'s bound arguments, before training -> its training data.
        booster_of: a trained model (booster or estimator) -> its booster.
        early_stopping: log a booster's early-stopping metrics (nothing without it).
        importance: (booster, importance type) -> {feature: importance}.
        save: (model, path, Model, signature, input example, settings) -> saved with the flavor.
        predict: a model -> its pyfunc predict (for the signature).
    """

    name: str
    callback: Callable[[MetricRecorder], Any]
    train_params: Callable[[dict[str, Any]], Mapping[str, Any]]
    train_data: Callable[[dict[str, Any]], TrainingData | None]
    booster_of: Callable[[Any], Any]
    early_stopping: Callable[[Any, MetricRecorder], None]
    importance: Callable[[Any, str], Mapping[str, float]]
    save: Callable[[Any, str, Model, ModelSignature | None, Any, config.AutologConfig], None]
    predict: Callable[[Any], Callable[[Any], Any]]


def metric_key(dataset: str, metric: str) -> str:
    """``<dataset>-<metric>``, with characters metric names may not hold as ``_`` (ndcg@3)."""
    return _BAD_KEY_CHARS.sub("_", f"{dataset}-{metric}")[: validation.MAX_KEY_LENGTH]


class MetricRecorder:
    """Per-iteration metrics of one training call, logged in batches while it runs.

    Every method swallows its own errors (one warning each): a callback that raised would stop
    the user's training. After a failed metrics batch nothing more is sent, but ``history``
    (step -> {key: value}) keeps filling for the early-stopping metrics.
    """

    def __init__(
        self,
        integration: str,
        scope: session.RunScope,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.integration = integration
        self.scope = scope
        self.history: dict[int, dict[str, float]] = {}
        self._params = [Param(key=str(k), value=param_text(v)) for k, v in (params or {}).items()]
        self._tags = [RunTag(key=k, value=v) for k, v in (tags or {}).items()]
        self._metrics: list[Metric] = []
        self._flushed_at: float | None = None
        self._failed = False

    @property
    def last_step(self) -> int | None:
        return max(self.history) if self.history else None

    def record(self, step: int, values: Iterable[tuple[str, Any]]) -> None:
        """One iteration's ``(key, value)`` pairs; logged now if a batch is due."""
        try:
            now = time.time()
            found = {key: float(value) for key, value in values}
            self.history[step] = found
            self.add(found, step, int(now * 1000))
            due = self._flushed_at is None or now - self._flushed_at >= FLUSH_SECONDS
            if due or len(self._metrics) >= MAX_BUFFERED:
                self.flush()
        except Exception as exc:
            patching.report_failure(self.integration, "recording the iteration's metrics", exc)

    def add(self, values: Mapping[str, float], step: int, timestamp: int | None = None) -> None:
        """Queue metrics for the next batch (not recorded in ``history``)."""
        if self._failed:
            return
        now = int(time.time() * 1000) if timestamp is None else timestamp
        self._metrics.extend(
            Metric(key=key, value=float(value), timestamp=now, step=step)
            for key, value in values.items()
        )

    def flush(self) -> None:
        """Log what is queued (params and tags with the first batch) in one request."""
        self._flushed_at = time.time()
        metrics, self._metrics = self._metrics, []
        params, self._params = self._params, []
        tags, self._tags = self._tags, []
        if self._failed or not (metrics or params or tags):
            return
        client, run_id = self.scope.client, self.scope.run_id
        try:
            try:
                client.log_batch(run_id, metrics, params, tags)
            except RunwellError:
                if not params:
                    raise
                # A user run that already holds other values for these params refuses them
                # (as MLflow does): keep the metrics and tags, report the params.
                client.log_batch(run_id, metrics, (), tags)
                try:
                    client.log_batch(run_id, params=params)
                except Exception as exc:
                    patching.report_failure(self.integration, "logging the params", exc)
        except Exception as exc:
            self._failed = True
            patching.report_failure(self.integration, "logging the metrics", exc)


def param_text(value: Any) -> str:
    return str(value)[: validation.MAX_PARAM_VALUE_LENGTH]


def estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


# ---------------------------------------------------------------- fit -> train hand-over


class _Expected(threading.local):
    recorder: MetricRecorder | None = None


_expected = _Expected()


@contextmanager
def _expecting(recorder: MetricRecorder | None) -> Iterator[None]:
    """The next ``train`` call of this thread (inside a fit) records into ``recorder``."""
    _expected.recorder = recorder
    try:
        yield
    finally:
        _expected.recorder = None


def train_entry(library: Library, original: Callable[..., Any]) -> Callable[..., Any]:
    """What replaces the library's ``train``: the autologged call, or a fit's inner one."""
    safe = patching.safe_wrapper(library.name, original, train_hook(library))

    @functools.wraps(original)
    def entry(*args: Any, **kwargs: Any) -> Any:
        recorder = _expected.recorder
        if recorder is None or recorder.integration != library.name:
            return safe(*args, **kwargs)
        _expected.recorder = None  # only the fit's own train call
        try:
            call_args, call_kwargs = _with_callback(library, recorder, original, args, kwargs)
        except Exception as exc:
            patching.report_failure(library.name, "adding the metrics callback", exc)
            call_args, call_kwargs = args, kwargs
        return original(*call_args, **call_kwargs)

    return entry


def patch_train(patches: patching.Patches, library: Library, home: Any, *others: Any) -> None:
    """Replace ``home.train`` and the same function where other modules imported it."""
    original = home.train
    entry = train_entry(library, original)
    patches.replace(home, "train", entry)
    for module in others:
        if getattr(module, "train", None) is original:
            patches.replace(module, "train", entry)


def fit_classes(module: Any, base: type) -> list[type]:
    """The classes of ``module`` derived from ``base`` that define their own ``fit``."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, base) and "fit" in value.__dict__
    ]


# ---------------------------------------------------------------- the hooks


def train_hook(library: Library) -> patching.Hook:
    """The hook of ``train``: params from its arguments, the booster as the model."""

    def hook(original: Any, *args: Any, **kwargs: Any) -> Any:
        settings = config.get_config(library.name) or config.AutologConfig()
        bound = bind(original.function, args, kwargs)
        if bound is None:
            return original(*args, **kwargs)  # the library reports the bad call
        scope = session.begin(library.name, settings)
        if scope is None:
            return original(*args, **kwargs)
        recorder = MetricRecorder(library.name, scope, tags=_user_run_tags(scope, settings))
        data = None
        call: tuple[tuple[Any, ...], dict[str, Any]] = (args, kwargs)
        try:
            bound.apply_defaults()  # the params logged include train's defaults
            arguments = dict(bound.arguments)
            recorder = MetricRecorder(
                library.name,
                scope,
                library.train_params(arguments),
                _user_run_tags(scope, settings),
            )
            data = library.train_data(arguments)
            call = _with_callback(library, recorder, original.function, args, kwargs)
        except Exception as exc:
            patching.report_failure(library.name, "preparing the training", exc)
        return _train(
            library, scope, settings, recorder, data, lambda: original(*call[0], **call[1])
        )

    return hook


def fit_hook(library: Library) -> patching.Hook:
    """The hook of an estimator's ``fit``: its params and tags, the estimator as the model."""

    def hook(original: Any, estimator: Any, *args: Any, **kwargs: Any) -> Any:
        settings = config.get_config(library.name) or config.AutologConfig()
        scope = session.begin(library.name, settings)
        if scope is None:
            return original(estimator, *args, **kwargs)
        recorder = MetricRecorder(library.name, scope, tags=_user_run_tags(scope, settings))
        data = None
        try:
            tags = {**estimator_tags(estimator), **_user_run_tags(scope, settings)}
            recorder = MetricRecorder(library.name, scope, estimator.get_params(), tags)
            data = _fit_data(original.function, estimator, args, kwargs)
        except Exception as exc:
            patching.report_failure(library.name, "preparing the training", exc)

        def fit() -> Any:
            with _expecting(recorder):
                return original(estimator, *args, **kwargs)

        return _train(library, scope, settings, recorder, data, fit, model=estimator)

    return hook


def _train(
    library: Library,
    scope: session.RunScope,
    settings: config.AutologConfig,
    recorder: MetricRecorder,
    data: TrainingData | None,
    call: Callable[[], Any],
    model: Any = None,
) -> Any:
    """Run the training (``call``), then log the rest; ``model``: what it trains (None: the
    booster it returns)."""
    try:
        result = call()
    except BaseException:
        recorder.flush()
        try:
            session.end(scope, failed=True)
        except Exception as exc:
            patching.report_failure(library.name, "ending the run", exc)
        raise
    trained = result if model is None else model
    inline = True
    try:
        try:
            library.early_stopping(library.booster_of(trained), recorder)
        except Exception as exc:
            patching.report_failure(library.name, "logging the early-stopping metrics", exc)
        recorder.flush()
        copy = snapshot(trained)
        # A model that cannot be copied is logged now, before the user's code can change it.
        inline = settings.synchronous or copy is None
        job = ModelJob(library, scope, settings, trained if copy is None else copy, data)
        if inline:
            worker.submit(library.name, WHAT, job, synchronous=True)
    finally:
        session.end(scope)
    if not inline:
        worker.submit(library.name, WHAT, job)  # once the run has ended, as sklearn.py does
    return result


def _user_run_tags(scope: session.RunScope, settings: config.AutologConfig) -> dict[str, str]:
    # Runs autolog starts got extra_tags when they were created.
    return {} if scope.owned else dict(settings.extra_tags)


def _with_callback(
    library: Library,
    recorder: MetricRecorder,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``train``'s arguments with the recorder's callback after the user's callbacks."""
    bound = bind(function, args, kwargs)
    if bound is None:
        return args, kwargs
    callbacks = list(bound.arguments.get("callbacks") or ())
    bound.arguments["callbacks"] = [*callbacks, library.callback(recorder)]
    return bound.args, bound.kwargs


def _fit_data(
    function: Any, estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> TrainingData | None:
    bound = bind(function, (estimator, *args), kwargs)
    if bound is None:
        return None
    X = bound.arguments.get("X")
    return None if X is None else TrainingData.of(X, bound.arguments.get("y"))


@functools.lru_cache(maxsize=64)
def _signature(function: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


def bind(
    function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> inspect.BoundArguments | None:
    """``function``'s arguments by name (None when the call does not fit its signature)."""
    signature = _signature(function)
    if signature is None:
        return None
    try:
        return signature.bind(*args, **kwargs)
    except TypeError:
        return None


def snapshot(model: Any) -> Any:
    """A copy of the trained model for the background thread (None when it cannot be)."""
    try:
        return pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return None
