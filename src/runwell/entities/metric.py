"""Metric: one point of a run's numeric series."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    """A metric value at a step and a wall-clock time (epoch ms).

    NaN and ±inf are kept as they were logged.
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
