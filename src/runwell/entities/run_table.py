"""RunTable: search results as columns, what a DataFrame of runs is built from.

Ten thousand runs with a few dozen values each are a quarter of a million entity objects;
a table holds the same values in one list per column, with no object per value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from runwell.entities.run import Run


@dataclass(frozen=True, slots=True, kw_only=True)
class RunTable:
    """One entry per run in every list, in search order.

    ``metrics`` hold each key's latest value (NaN where a run has none); ``params`` and
    ``tags`` hold None where a run has no value for the key. ``status`` is the status name.
    """

    run_id: list[str]
    experiment_id: list[str]
    status: list[str]
    artifact_uri: list[str]
    start_time: list[int | None]
    end_time: list[int | None]
    metrics: dict[str, list[float]]
    params: dict[str, list[str | None]]
    tags: dict[str, list[str | None]]
    # Attributes the web UI's table shows (empty when a caller did not load them).
    run_name: list[str] = field(default_factory=list)
    user_id: list[str] = field(default_factory=list)
    lifecycle_stage: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.run_id)

    @classmethod
    def from_runs(cls, runs: Sequence[Run]) -> RunTable:
        """The table of runs already loaded as entities."""
        count = len(runs)
        metrics: dict[str, list[float]] = {}
        params: dict[str, list[str | None]] = {}
        tags: dict[str, list[str | None]] = {}
        for index, run in enumerate(runs):
            for m in run.data.metric_list:
                metrics.setdefault(m.key, [math.nan] * count)[index] = m.value
            for p in run.data.param_list:
                params.setdefault(p.key, [None] * count)[index] = p.value
            for t in run.data.tag_list:
                tags.setdefault(t.key, [None] * count)[index] = t.value
        return cls(
            run_id=[r.info.run_id for r in runs],
            experiment_id=[r.info.experiment_id for r in runs],
            status=[r.info.status.name for r in runs],
            artifact_uri=[r.info.artifact_uri for r in runs],
            start_time=[r.info.start_time for r in runs],
            end_time=[r.info.end_time for r in runs],
            metrics=metrics,
            params=params,
            tags=tags,
            run_name=[r.info.run_name for r in runs],
            user_id=[r.info.user_id for r in runs],
            lifecycle_stage=[r.info.lifecycle_stage.value for r in runs],
        )
