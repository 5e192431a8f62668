"""TrackingOverview: the aggregate reads the web UI needs besides the TrackingStore protocol.

The SQL store implements it (store/sql/overview.py); the server's UI routes check for it, so a
store without it still serves the REST API and the UI says what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from runwell.entities import ViewType
from runwell.entities.overview import ExperimentSummary, MetricSummary, SampledSeries

XAxis = Literal["step", "time"]


@runtime_checkable
class TrackingOverview(Protocol):
    """Counts, summaries and downsampled histories, computed where the data lives."""

    def experiment_summaries(
        self, experiment_ids: Sequence[str]
    ) -> dict[str, ExperimentSummary]: ...

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int: ...

    def metric_summaries(self, run_id: str) -> list[MetricSummary]: ...

    def sample_metric_history(
        self,
        run_id: str,
        metric_key: str,
        *,
        buckets: int = 1000,
        x_axis: XAxis = "step",
        start: int | None = None,
        end: int | None = None,
    ) -> SampledSeries: ...
