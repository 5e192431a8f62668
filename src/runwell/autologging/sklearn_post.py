"""Post-training metrics: ``sklearn.metrics`` called on an autologged model's predictions.

After an autologged ``fit``, the model's ``predict`` / ``predict_proba`` /
``predict_log_proba`` remember each array they return (by ``id``, with a weak reference, in a
bounded table) together with the model's run and the name of the input's variable in the
calling code (``X_test``; ``unknown_dataset`` when it has none). A metric function of
``sklearn.metrics`` (``*_score``, ``*_error``, ``*_loss``) called with one of those arrays logs
its result on that run as ``<function>[-<n>]_<dataset>``, as MLflow names them
(``accuracy_score_X_test``, then ``accuracy_score-2_X_test`` for a second call);
``model.score(X_test, y_test)`` logs ``<Estimator>_score_X_test``. A different object bound
to a name already used gets ``X_test-2``.

Limits (MLflow's too): only the returned array itself is recognised, not a copy or slice of
it, and a metric function imported by name before autolog was turned on
(``from sklearn.metrics import f1_score``) is the original, unpatched one.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
import weakref
from collections import OrderedDict
from types import FrameType
from typing import Any

from runwell.autologging import config
from runwell.autologging.session import RunScope
from runwell.entities import Metric

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba")
METRIC_SUFFIXES = ("_score", "_error", "_loss")
UNKNOWN_DATASET = "unknown_dataset"
MAX_TRACKED = 1000
_FRAMES_SEARCHED = 4


class _Tracker:
    """What autolog remembers between a ``fit``, its ``predict`` calls and a metric call."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.models: dict[int, tuple[weakref.ref[Any], RunScope]] = {}
        self.predictions: OrderedDict[int, tuple[weakref.ref[Any], RunScope, str]] = OrderedDict()
        self.calls: dict[tuple[RunScope, str], int] = {}
        self.names: dict[tuple[RunScope, str], list[int]] = {}

    def scope_of(self, model: Any) -> RunScope | None:
        found = self.models.get(id(model))
        return found[1] if found is not None and found[0]() is model else None


_tracker = _Tracker()


def track_model(model: Any, scope: RunScope) -> None:
    """Remember that ``model`` was fitted under autolog, logging into ``scope``'s run."""
    tracker = _tracker
    key = id(model)
    try:
        ref = weakref.ref(model, functools.partial(_forget, tracker.models, key))
    except TypeError:
        return
    with tracker.lock:
        tracker.models[key] = (ref, scope)


def _enabled(integration: str) -> bool:
    settings = config.get_config(integration)
    return bool(settings is not None and settings.extra.get("log_post_training_metrics", True))


def prediction_hook(integration: str) -> Any:
    """The patch of ``predict``-like methods: remember what a tracked model returned."""

    def hook(original: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(model, *args, **kwargs)
        scope = _tracker.scope_of(model)
        if scope is not None and _enabled(integration):
            data = args[0] if args else kwargs.get("X")
            _remember(result, scope, dataset_name(data, scope, depth=2))
        return result

    return hook


def score_hook(integration: str) -> Any:
    """The patch of ``score``: log ``<Estimator>_score_<dataset>`` for a tracked model."""

    def hook(original: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
        value = original(model, *args, **kwargs)
        scope = _tracker.scope_of(model)
        if scope is not None and _enabled(integration):
            data = args[0] if args else kwargs.get("X")
            name = dataset_name(data, scope, depth=2)
            _log(scope, f"{type(model).__name__}_score", name, value)
        return value

    return hook


def metric_hook(integration: str, metric_name: str) -> Any:
    """The patch of a ``sklearn.metrics`` function: log it when it scores tracked predictions."""

    def hook(original: Any, *args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        if _enabled(integration):
            found = _find_prediction([*args, *kwargs.values()])
            if found is not None:
                _log(found[0], metric_name, found[1], value)
        return value

    return hook


def _remember(result: Any, scope: RunScope, name: str) -> None:
    tracker = _tracker
    key = id(result)
    try:
        ref = weakref.ref(result, functools.partial(_forget, tracker.predictions, key))
    except TypeError:
        return  # lists and tuples cannot be told apart from a later object with the same id
    with tracker.lock:
        tracker.predictions[key] = (ref, scope, name)
        while len(tracker.predictions) > MAX_TRACKED:
            tracker.predictions.popitem(last=False)


def _forget(table: dict[int, Any], key: int, _gone: object) -> None:
    table.pop(key, None)


def _find_prediction(values: list[Any]) -> tuple[RunScope, str] | None:
    predictions = _tracker.predictions
    for value in values:
        found = predictions.get(id(value))
        if found is not None and found[0]() is value:
            return found[1], found[2]
    return None


def dataset_name(data: Any, scope: RunScope, depth: int) -> str:
    """The variable that holds ``data`` in the code ``depth`` frames above the caller (a hook:
    2, past the patch's wrapper), made unique per run: a different object under a name already
    used becomes ``name-2``, ``name-3``..."""
    name = _variable_name(data, depth + 2)
    if name is None:
        return UNKNOWN_DATASET
    tracker = _tracker
    with tracker.lock:
        seen = tracker.names.setdefault((scope, name), [])
        if id(data) not in seen:
            seen.append(id(data))
        index = seen.index(id(data)) + 1
    return name if index == 1 else f"{name}-{index}"


def _variable_name(data: Any, depth: int) -> str | None:
    if data is None:
        return None
    frame: FrameType | None
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    for _ in range(_FRAMES_SEARCHED):
        if frame is None:
            break
        for name, value in frame.f_locals.items():
            if value is data and name.isidentifier() and not name.startswith("_"):
                return str(name)
        frame = frame.f_back
    return None


def _log(scope: RunScope, metric_name: str, dataset: str, value: Any) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return  # per-class arrays (average=None) and other non-scalars are not metrics
    tracker = _tracker
    with tracker.lock:
        count = tracker.calls.get((scope, metric_name), 0) + 1
        tracker.calls[(scope, metric_name)] = count
    indexed = metric_name if count == 1 else f"{metric_name}-{count}"
    metric = Metric(key=f"{indexed}_{dataset}", value=number, timestamp=int(time.time() * 1000))
    scope.client.log_batch(scope.run_id, metrics=[metric])
