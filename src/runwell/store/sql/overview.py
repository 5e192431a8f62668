"""The TrackingOverview half of SqlTrackingStore: what the web UI aggregates.

Experiment run counts are one GROUP BY; metric summaries aggregate the ``metrics`` rows in SQL
and the packed blocks in numpy; chart histories are downsampled by history_sampling.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runwell.entities import LifecycleStage, RunStatus
from runwell.entities.overview import ExperimentSummary, MetricSummary, SampledSeries
from runwell.errors import InvalidArgument, NotFound
from runwell.store import validation
from runwell.store.gc_pause import paused_gc
from runwell.store.overview import XAxis
from runwell.store.sql import codec
from runwell.store.sql.raw import RawConnections

if TYPE_CHECKING:
    from types import ModuleType


def _sampling() -> ModuleType:
    """history_sampling, imported on the first chart or summary a UI asks for: it needs
    numpy, which a tracking server otherwise never loads (a worker's idle memory stays small;
    tests/server/test_cli_server.py checks it)."""
    from runwell.store.sql import history_sampling

    return history_sampling


MAX_BUCKETS = 10_000


class SqlOverview:
    """Aggregates over the tables of rows.py, read on driver cursors (see raw.py)."""

    raw: RawConnections

    def _key_column(self) -> str:
        return "`key`" if self.raw.dialect == "mysql" else "key"

    def experiment_summaries(self, experiment_ids: Sequence[str]) -> dict[str, ExperimentSummary]:
        """Active-run counts and latest activity of each experiment (all listed, even empty)."""
        pks = sorted({int(validation.experiment_id(e)) for e in experiment_ids})
        found: dict[str, ExperimentSummary] = {
            str(pk): ExperimentSummary(experiment_id=str(pk)) for pk in pks
        }
        if not pks:
            return found
        mark = self.raw.mark
        with self.raw.read() as cursor:
            for start in range(0, len(pks), 900):
                chunk = pks[start : start + 900]
                cursor.execute(
                    "SELECT experiment_id, COUNT(*), "
                    f"SUM(CASE WHEN status = {mark} THEN 1 ELSE 0 END), "
                    "MAX(CASE WHEN end_time IS NULL OR end_time < start_time THEN start_time "
                    "ELSE end_time END) FROM runs "
                    f"WHERE lifecycle_stage = {mark} AND experiment_id IN "
                    f"({', '.join([mark] * len(chunk))}) GROUP BY experiment_id",
                    (RunStatus.RUNNING.name, LifecycleStage.ACTIVE.value, *chunk),
                )
                for pk, count, running, last in cursor.fetchall():
                    found[str(pk)] = ExperimentSummary(
                        experiment_id=str(pk),
                        run_count=int(count),
                        running_count=int(running or 0),
                        last_activity=None if last is None else int(last),
                    )
        return found

    def _run_pk(self, cursor: Any, run_id: str) -> int:
        validation.run_id(run_id)
        cursor.execute(f"SELECT id FROM runs WHERE run_id = {self.raw.mark}", (run_id,))
        row = cursor.fetchone()
        if row is None:
            raise NotFound(f"Run with id={run_id} not found")
        return int(row[0])

    def metric_summaries(self, run_id: str) -> list[MetricSummary]:
        """Every metric key of the run: latest point, finite min and max, point count."""
        mark, key = self.raw.mark, self._key_column()
        with paused_gc(), self.raw.read() as cursor:
            run_pk = self._run_pk(cursor, run_id)
            cursor.execute(
                f"SELECT id, {key}, value, kind, timestamp, step FROM latest_metrics "
                f"WHERE run = {mark}",
                (run_pk,),
            )
            latest = cursor.fetchall()
            series_of_run = f"SELECT id FROM latest_metrics WHERE run = {mark}"
            cursor.execute(
                "SELECT series, COUNT(*), "
                f"MIN(CASE WHEN kind = {codec.FINITE} THEN value END), "
                f"MAX(CASE WHEN kind = {codec.FINITE} THEN value END) "
                f"FROM metrics WHERE series IN ({series_of_run}) GROUP BY series",
                (run_pk,),
            )
            stats: dict[int, list[Any]] = {
                int(s): [int(c), lo, hi] for s, c, lo, hi in cursor.fetchall()
            }
            cursor.execute(
                f"SELECT series, points FROM metric_blocks WHERE series IN ({series_of_run})",
                (run_pk,),
            )
            sampling = _sampling()
            for series, data in cursor.fetchall():
                values = sampling.block_arrays(bytes(data))[2]
                finite = values[sampling.np.isfinite(values)]
                entry = stats.setdefault(int(series), [0, None, None])
                entry[0] += len(values)
                if len(finite):
                    lo, hi = float(finite.min()), float(finite.max())
                    entry[1] = lo if entry[1] is None else min(entry[1], lo)
                    entry[2] = hi if entry[2] is None else max(entry[2], hi)
        out = []
        for series, name, value, kind, timestamp, step in latest:
            count, lo, hi = stats.get(int(series), [0, None, None])
            out.append(
                MetricSummary(
                    key=name,
                    last=codec.decode(value, kind),
                    last_step=int(step),
                    last_timestamp=int(timestamp),
                    min=None if lo is None else float(lo),
                    max=None if hi is None else float(hi),
                    count=count,
                )
            )
        out.sort(key=lambda s: s.key)
        return out

    def sample_metric_history(
        self,
        run_id: str,
        metric_key: str,
        *,
        buckets: int = 1000,
        x_axis: XAxis = "step",
        start: int | None = None,
        end: int | None = None,
    ) -> SampledSeries:
        """The history of one key for a chart (history_sampling.py): whole when small, else
        each x bucket's minimum and maximum."""
        if x_axis not in ("step", "time"):
            raise InvalidArgument(f"Invalid x axis '{x_axis}': expected 'step' or 'time'.")
        if not 1 <= buckets <= MAX_BUCKETS:
            raise InvalidArgument(
                f"Invalid value {buckets} for 'buckets': expected 1 to {MAX_BUCKETS}."
            )
        mark = self.raw.mark
        history_sampling = _sampling()
        with paused_gc(), self.raw.read() as cursor:
            run_pk = self._run_pk(cursor, run_id)
            cursor.execute(
                f"SELECT id FROM latest_metrics WHERE run = {mark} AND {self._key_column()} = "
                f"{mark}",
                (run_pk, metric_key),
            )
            row = cursor.fetchone()
            if row is None:
                return SampledSeries(key=metric_key, steps=(), timestamps=(), values=(), total=0)
            series = int(row[0])
            blocks = history_sampling.block_points(self.raw, cursor, series, x_axis, start, end)
            x = blocks.x(x_axis)
            bounds = (int(x.min()), int(x.max())) if len(x) else None
            rows = history_sampling.row_points(
                self.raw, cursor, series, x_axis, start, end, buckets, bounds
            )
        points = history_sampling.Points.joined([p for p in (rows, blocks) if p.total])
        reduced, sampled = history_sampling.downsample(points, x_axis, buckets)
        aggregated = len(points.values) + points.non_finite < points.total
        return SampledSeries(
            key=metric_key,
            steps=tuple(reduced.steps.tolist()),
            timestamps=tuple(reduced.timestamps.tolist()),
            values=tuple(reduced.values.tolist()),
            total=points.total,
            non_finite=points.non_finite,
            sampled=sampled or aggregated,
        )
