"""Metric history RPCs: one series in full or in pages, and sampled series of many runs.

``metrics/get-history`` without ``max_results`` answers every point in one response, and with
it pages (reference/mlflow-rest-api.md §4.2). ``get-history-bulk-interval`` (the UI's chart
query) returns, for up to 100 runs, the points at a common set of at most ``max_results``
steps sampled evenly from the steps those runs logged, first and last kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from fastapi import APIRouter

from runwell.entities import Metric
from runwell.errors import InvalidArgument
from runwell.server.context import ServerContext
from runwell.server.routing import Json, rpc, run_id_of
from runwell.store.protocols import TrackingStore
from runwell.wire import paths
from runwell.wire.codec import metrics_to_json
from runwell.wire.errors import DOCS_HINT
from runwell.wire.fields import Fields

router = APIRouter(tags=["metrics"])
_value = attrgetter("value")

MAX_RUNS_PER_BULK_REQUEST = 100
MAX_POINTS_PER_RUN = 2500


@rpc(router, paths.METRICS_GET_HISTORY, ("GET",), bulk=True)
def get_metric_history(context: ServerContext, fields: Fields) -> Json:
    """Every point of one metric of one run, ordered by timestamp, step and value."""
    page = context.tracking().get_metric_history(
        run_id_of(fields),
        fields.required_text("metric_key"),
        max_results=fields.int64("max_results"),
        page_token=fields.text("page_token"),
    )
    out: Json = {}
    if page.items:
        out["metrics"] = _wire_points(page.items)
    if page.token:
        out["next_page_token"] = page.token
    return out


def _wire_points(points: Sequence[Metric]) -> Sequence[Metric] | list[Json]:
    """The points as the response encoder takes them: the Metric objects themselves when every
    value is finite (the encoder writes them as wire objects), else the codec's dicts."""
    total = sum(map(_value, points))
    return points if total - total == 0.0 else metrics_to_json(points)


def _full_history(store: TrackingStore, run_id: str, key: str) -> list[Metric]:
    points: list[Metric] = []
    token: str | None = None
    while True:
        page = store.get_metric_history(run_id, key, page_token=token)
        points.extend(page.items)
        token = page.token
        if not token:
            return points


def sampled_steps(steps: Sequence[int], max_results: int) -> set[int]:
    """At most ``max_results`` of the sorted distinct ``steps``, evenly spaced, ends kept."""
    ordered = sorted(set(steps))
    if len(ordered) <= max_results:
        return set(ordered)
    if max_results == 1:
        return {ordered[0]}
    last = len(ordered) - 1
    return {ordered[round(i * last / (max_results - 1))] for i in range(max_results)}


def _bulk_limits(fields: Fields) -> tuple[list[str], int | None, int | None, int]:
    run_ids = list(dict.fromkeys(fields.strings("run_ids")))
    if not run_ids:
        raise Fields.missing("run_ids")
    if len(run_ids) > MAX_RUNS_PER_BULK_REQUEST:
        # MLflow's wording (its handler's schema message).
        raise InvalidArgument(
            f"GetMetricHistoryBulkInterval request must specify at most "
            f"{MAX_RUNS_PER_BULK_REQUEST} run_ids. Received {len(run_ids)} run_ids.{DOCS_HINT}"
        )
    start, end = fields.int64("start_step"), fields.int64("end_step")
    if start is not None and end is not None and start > end:
        raise InvalidArgument(
            f"Invalid interval: 'end_step' ({end}) must not be less than 'start_step' ({start})."
        )
    max_results = fields.int64("max_results")
    if max_results is None:
        max_results = MAX_POINTS_PER_RUN
    if not 1 <= max_results <= MAX_POINTS_PER_RUN:
        raise InvalidArgument(f"max_results must be between 1 and {MAX_POINTS_PER_RUN}.{DOCS_HINT}")
    return run_ids, start, end, max_results


@rpc(router, paths.METRICS_GET_HISTORY_BULK_INTERVAL, ("GET",), bulk=True)
def get_metric_history_bulk_interval(context: ServerContext, fields: Fields) -> Json:
    """Points of one metric for several runs at a shared, sampled set of steps."""
    run_ids, start, end, max_results = _bulk_limits(fields)
    key = fields.required_text("metric_key")
    store = context.tracking()
    histories: dict[str, list[Metric]] = {}
    for run_id in sorted(run_ids):
        histories[run_id] = [
            m
            for m in _full_history(store, run_id, key)
            if (start is None or m.step >= start) and (end is None or m.step <= end)
        ]
    keep = sampled_steps([m.step for points in histories.values() for m in points], max_results)
    out: list[Json] = []
    for run_id, points in histories.items():
        chosen = sorted((m for m in points if m.step in keep), key=lambda m: (m.step, m.timestamp))
        for encoded in metrics_to_json(chosen):
            encoded["run_id"] = run_id
            out.append(encoded)
    return {"metrics": out} if out else {}
