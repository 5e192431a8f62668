"""Custom metrics: ``make_metric(eval_fn=..., greater_is_better=..., name=...)``.

``eval_fn`` names what it needs by its parameter names, as in MLflow 3: ``predictions`` and
``targets`` (pandas Series), ``metrics`` (the metrics computed so far, name -> MetricValue),
a feature column's name, an ``evaluator_config`` key, or another metric's name. The old
two-argument form ``eval_fn(eval_df, builtin_metrics)`` (a frame with ``prediction`` and
``target`` columns) still works. It returns a number or a ``MetricValue``; per-row
``scores`` go into the results table as ``<name>/score``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runwell.errors import InvalidArgument


@dataclass
class MetricValue:
    """A metric's result: per-row ``scores``/``justifications`` and named aggregates."""

    scores: list[Any] | None = None
    justifications: list[str] | None = None
    aggregate_results: dict[str, float] | None = None

    def __post_init__(self) -> None:
        import numpy as np

        numeric = self.scores is not None and all(_is_number(s) for s in self.scores)
        if self.aggregate_results is None and numeric and self.scores:
            # The aggregates MLflow derives from numeric per-row scores.
            self.aggregate_results = {
                "mean": float(np.mean(self.scores)),
                "variance": float(np.var(self.scores)),
                "p90": float(np.percentile(self.scores, 90)),
            }


class EvaluationMetric:
    """A named metric function; build one with ``make_metric``."""

    def __init__(
        self,
        eval_fn: Callable[..., Any],
        name: str,
        greater_is_better: bool,
        long_name: str | None = None,
        version: str | None = None,
        metric_details: str | None = None,
        metric_metadata: dict[str, Any] | None = None,
        genai_metric_args: dict[str, Any] | None = None,
    ) -> None:
        self.eval_fn = eval_fn
        self.name = name
        self.greater_is_better = greater_is_better
        self.long_name = long_name or name
        self.version = version
        self.metric_details = metric_details
        self.metric_metadata = metric_metadata
        self.genai_metric_args = genai_metric_args

    def __repr__(self) -> str:
        return f"EvaluationMetric(name={self.name!r}, greater_is_better={self.greater_is_better})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.eval_fn(*args, **kwargs)


def make_metric(
    *,
    eval_fn: Callable[..., Any],
    greater_is_better: bool,
    name: str | None = None,
    long_name: str | None = None,
    version: str | None = None,
    metric_details: str | None = None,
    metric_metadata: dict[str, Any] | None = None,
    genai_metric_args: dict[str, Any] | None = None,
) -> EvaluationMetric:
    """An ``EvaluationMetric`` for ``evaluate(extra_metrics=[...])``.

    Args:
        eval_fn: computes the metric; see the module docstring for its parameters.
        greater_is_better: whether a higher value is better (used by ``MetricThreshold``).
        name: the metric's name; defaults to ``eval_fn.__name__`` (required for a lambda).
    """
    if not callable(eval_fn):
        raise InvalidArgument(
            f"Invalid eval_fn of type {type(eval_fn).__name__}: expected a function."
        )
    if not isinstance(greater_is_better, bool):
        raise InvalidArgument(
            f"Invalid greater_is_better {greater_is_better!r}: expected True or False."
        )
    if name is None:
        name = getattr(eval_fn, "__name__", None)
        if not name or name == "<lambda>":
            raise InvalidArgument(
                "make_metric needs a `name` when eval_fn is a lambda or has no __name__."
            )
    return EvaluationMetric(
        eval_fn,
        name,
        greater_is_better,
        long_name,
        version,
        metric_details,
        metric_metadata,
        genai_metric_args,
    )


def check_extra_metrics(extra_metrics: Any) -> list[EvaluationMetric]:
    if extra_metrics is None:
        return []
    if not isinstance(extra_metrics, (list, tuple)):
        raise InvalidArgument(
            f"Invalid extra_metrics of type {type(extra_metrics).__name__}: expected a list "
            "of metrics made with runwell.models.make_metric."
        )
    bad = [m for m in extra_metrics if not isinstance(m, EvaluationMetric)]
    if bad:
        kinds = ", ".join(type(m).__name__ for m in bad)
        raise InvalidArgument(
            f"Invalid extra_metrics: {kinds} is not an EvaluationMetric; build each with "
            "runwell.models.make_metric(eval_fn=..., greater_is_better=..., name=...)."
        )
    return list(extra_metrics)


def compute_extra_metrics(
    extra: Sequence[EvaluationMetric],
    values: dict[str, MetricValue],
    predictions: Any,
    targets: Any | None,
    features: Any,
    config: Mapping[str, Any],
) -> None:
    """Add each metric's value to ``values``, resolving its arguments by parameter name.

    A metric may depend on another extra metric, so the list is walked until nothing more can
    be computed; what is left names its missing arguments.
    """
    import pandas as pd

    preds = pd.Series(predictions, name="prediction").reset_index(drop=True)
    target = None if targets is None else pd.Series(targets, name="target")
    pending = list(extra)
    while pending:
        missing: dict[str, list[str]] = {}
        left = []
        for metric in pending:
            args = _arguments(metric, values, preds, target, features, config, pending)
            if isinstance(args, list) and args and isinstance(args[0], _Missing):
                missing[metric.name] = [a.name for a in args]
                left.append(metric)
                continue
            result = _check_result(metric, metric.eval_fn(*args))
            if result is not None:
                key = f"{metric.name}/{metric.version}" if metric.version else metric.name
                values[key] = result
        if len(left) == len(pending):
            detail = "; ".join(f"{name} needs {names}" for name, names in missing.items())
            raise InvalidArgument(
                f"Cannot compute extra_metrics: {detail}. Parameters may be 'predictions', "
                f"'targets', 'metrics', a feature column ({list(features.columns)}), an "
                "evaluator_config key or another metric's name."
            )
        pending = left


@dataclass(frozen=True)
class _Missing:
    name: str


def _arguments(
    metric: EvaluationMetric,
    values: dict[str, MetricValue],
    preds: Any,
    target: Any | None,
    features: Any,
    config: Mapping[str, Any],
    pending: Sequence[EvaluationMetric],
) -> list[Any]:
    import copy

    import pandas as pd

    params = inspect.signature(metric.eval_fn).parameters
    names = list(params)
    if len(names) == 2 and names[0] != "predictions" and names[1] != "targets":
        frame = pd.DataFrame({"prediction": preds})
        if target is not None:
            frame["target"] = target.to_numpy()
        return [frame, aggregate(values)]
    mapping = config.get("col_mapping", {}) or {}
    args: list[Any] = []
    missing: list[_Missing] = []
    waiting = {m.name for m in pending if m is not metric}
    for name, param in params.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        column = mapping.get(name, name)
        if column == "predictions":
            args.append(preds.copy())
        elif column == "targets":
            if target is not None:
                args.append(target.copy())
            elif param.default is not param.empty:
                args.append(param.default)
            else:
                missing.append(_Missing(name))
        elif column == "metrics":
            args.append(copy.deepcopy(values))
        elif not isinstance(column, str):
            args.append(column)
        elif column in features.columns:
            args.append(features[column].reset_index(drop=True))
        elif column in config:
            args.append(config[column])
        elif column in values:
            args.append(values[column])
        elif param.default is not param.empty and column not in waiting:
            args.append(param.default)
        else:
            missing.append(_Missing(name))
    return list(missing) if missing else args


def _check_result(metric: EvaluationMetric, result: Any) -> MetricValue | None:
    if _is_number(result):
        return MetricValue(aggregate_results={metric.name: float(result)})
    if isinstance(result, MetricValue):
        return result
    raise InvalidArgument(
        f"Metric '{metric.name}' returned {type(result).__name__}: expected a number or a "
        "MetricValue."
    )


def aggregate(values: Mapping[str, MetricValue]) -> dict[str, float]:
    """The scalar metrics, keyed as they are logged (``name`` or ``name/aggregate``)."""
    flat: dict[str, float] = {}
    for name, value in values.items():
        for agg, number in (value.aggregate_results or {}).items():
            if number is None:
                continue
            key = name if agg == name.split("/")[0] else f"{name}/{agg}"
            flat[key] = float(number)
    return flat


def _is_number(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
