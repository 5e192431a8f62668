"""Model validation: ``MetricThreshold`` and ``validate_evaluation_results``.

A threshold bounds a candidate's metric absolutely (``threshold``) and relative to a baseline
(``min_absolute_change``, ``min_relative_change`` as a fraction of the baseline's magnitude);
``greater_is_better`` says which way is better. Every failed check is collected, and one
``ModelValidationFailedException`` names each failed metric with its values.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from runwell.errors import ErrorCode, InvalidArgument, RunwellError


class ModelValidationFailedException(RunwellError):
    """The candidate model missed a validation threshold (MLflow's BAD_REQUEST)."""

    default_code = ErrorCode.BAD_REQUEST


def _number(value: Any) -> bool:
    return type(value) in (int, float)


class MetricThreshold:
    """Bounds for one metric; at least one of the three bounds must be given."""

    def __init__(
        self,
        threshold: float | None = None,
        min_absolute_change: float | None = None,
        min_relative_change: float | None = None,
        greater_is_better: bool | None = None,
    ) -> None:
        if threshold is not None and not _number(threshold):
            raise InvalidArgument(
                f"Invalid MetricThreshold threshold {threshold!r}: expected a number."
            )
        if min_absolute_change is not None and (
            not _number(min_absolute_change) or min_absolute_change <= 0
        ):
            raise InvalidArgument(
                f"Invalid MetricThreshold min_absolute_change {min_absolute_change!r}: "
                "expected a positive number."
            )
        if min_relative_change is not None and (
            not isinstance(min_relative_change, float) or not 0 <= min_relative_change <= 1
        ):
            raise InvalidArgument(
                f"Invalid MetricThreshold min_relative_change {min_relative_change!r}: "
                "expected a float between 0 and 1."
            )
        if not isinstance(greater_is_better, bool):
            raise InvalidArgument(
                f"Invalid MetricThreshold greater_is_better {greater_is_better!r}: "
                "expected True or False."
            )
        if threshold is None and min_absolute_change is None and min_relative_change is None:
            raise InvalidArgument(
                "MetricThreshold needs threshold, min_absolute_change or min_relative_change."
            )
        self.threshold = threshold
        self.min_absolute_change = min_absolute_change
        self.min_relative_change = min_relative_change
        self.greater_is_better = greater_is_better

    def __repr__(self) -> str:
        return (
            f"MetricThreshold(threshold={self.threshold!r}, "
            f"min_absolute_change={self.min_absolute_change!r}, "
            f"min_relative_change={self.min_relative_change!r}, "
            f"greater_is_better={self.greater_is_better!r})"
        )


def validate_evaluation_results(
    validation_thresholds: Mapping[str, MetricThreshold],
    candidate_result: Any,
    baseline_result: Any | None = None,
) -> None:
    """Raise ``ModelValidationFailedException`` unless the candidate meets every threshold.

    Args:
        validation_thresholds: metric name -> ``MetricThreshold``.
        candidate_result: the candidate's ``EvaluationResult`` (anything with ``metrics``).
        baseline_result: the baseline's; needed by the ``min_*_change`` bounds.
    """
    if not isinstance(validation_thresholds, Mapping) or not all(
        isinstance(k, str) and isinstance(v, MetricThreshold)
        for k, v in validation_thresholds.items()
    ):
        raise InvalidArgument(
            "Invalid validation_thresholds: expected a dict of metric name -> MetricThreshold."
        )
    candidate = dict(candidate_result.metrics)
    baseline = dict(baseline_result.metrics) if baseline_result is not None else {}
    failures = [
        failure
        for name, bound in validation_thresholds.items()
        for failure in _check(name, bound, candidate, baseline)
    ]
    if failures:
        raise ModelValidationFailedException("\n".join(failures))


def _check(
    name: str, bound: MetricThreshold, candidate: Mapping[str, float], baseline: Mapping[str, float]
) -> list[str]:
    if name not in candidate:
        return [f"Metric {name} is missing from the candidate model's evaluation result."]
    value = candidate[name]
    better = "greater" if bound.greater_is_better else "lower"
    failures = []
    if bound.threshold is not None and not _at_least(value, bound.threshold, bound):
        failures.append(
            f"Metric {name} threshold check failed: candidate {name} = {value}, threshold = "
            f"{bound.threshold} ({better} is better)."
        )
    if bound.min_absolute_change is None and bound.min_relative_change is None:
        return failures
    if name not in baseline:
        return [*failures, f"Metric {name} is missing from the baseline model's result."]
    base = baseline[name]
    sign = 1 if bound.greater_is_better else -1
    if bound.min_absolute_change is not None:
        wanted = base + sign * bound.min_absolute_change
        if not _at_least(Decimal(value), Decimal(wanted), bound):
            failures.append(
                f"Metric {name} minimum absolute change check failed: candidate {name} = "
                f"{value}, baseline {name} = {base}, minimum absolute change = "
                f"{bound.min_absolute_change} ({better} is better)."
            )
    if bound.min_relative_change is not None:
        if base == 0:
            # No magnitude to scale by: the candidate only has to be strictly better.
            ok = _at_least(Decimal(value), Decimal(base + sign * 1e-10), bound)
        else:
            ok = sign * (value - base) / abs(base) >= bound.min_relative_change
        if not ok:
            failures.append(
                f"Metric {name} minimum relative change check failed: candidate {name} = "
                f"{value}, baseline {name} = {base}, minimum relative change = "
                f"{bound.min_relative_change} ({better} is better)."
            )
    return failures


def _at_least(value: Any, wanted: Any, bound: MetricThreshold) -> bool:
    return bool(value >= wanted if bound.greater_is_better else value <= wanted)
