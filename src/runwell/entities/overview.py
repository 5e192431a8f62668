"""Aggregates the web UI shows: per-experiment run counts, per-key metric summaries, and a
metric history downsampled for a chart.

Plain value objects like the other entities; the SQL store computes them (store/sql/overview.py,
store/sql/history_sampling.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentSummary:
    """How many active runs an experiment holds, how many are running, and when the latest
    of them started or ended (epoch ms; None without runs)."""

    experiment_id: str
    run_count: int = 0
    running_count: int = 0
    last_activity: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSummary:
    """One metric key of one run: its latest point, the extremes of its finite values and how
    many points were logged (``min``/``max`` are None when no value is finite)."""

    key: str
    last: float
    last_step: int
    last_timestamp: int
    min: float | None
    max: float | None
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SampledSeries:
    """A metric history for a chart: every point, or per x bucket the points holding the
    bucket's minimum and maximum (plus the series' first and last point), in x order.

    ``total`` counts the points in the requested range, ``non_finite`` the NaN/±inf ones left
    out (a chart cannot draw them); ``sampled`` says whether buckets were merged.
    """

    key: str
    steps: tuple[int, ...]
    timestamps: tuple[int, ...]
    values: tuple[float, ...]
    total: int
    non_finite: int = 0
    sampled: bool = False
