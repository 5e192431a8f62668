"""UI JSON endpoints for runs: the runs table as columns, metric summaries, markdown preview.

``runs/table`` answers the search of ``runs/search`` (same store call, same filter grammar and
errors) as one list per column, holding only the columns the table shows, plus every metric,
param and tag key found (for the column chooser) and the total the filter matches.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from runwell.errors import InvalidArgument
from runwell.server.request import decode_body, read_body
from runwell.server.responses import encode, json_response
from runwell.server.routing import stops_when_client_leaves
from runwell.server.ui import queries
from runwell.server.ui.templating import render_markdown

router = APIRouter(include_in_schema=False)

MAX_TABLE_ROWS = 50_000
_KINDS = {"metrics": "metrics", "params": "params", "tags": "tags"}
PARENT_TAG = "mlflow.parentRunId"
SOURCE_TAG = "mlflow.source.name"
USER_TAG = "mlflow.user"


def _column_spec(raw: str) -> tuple[str, str]:
    kind, sep, key = raw.partition(".")
    if not sep or kind not in _KINDS or not key:
        raise InvalidArgument(
            f"Invalid column '{raw}': expected metrics.<key>, params.<key> or tags.<key>."
        )
    return kind, key


@router.get("/runs/table")
@stops_when_client_leaves
def runs_table(request: Request) -> Response:
    """Matching runs of some experiments, as columns (see the module docstring)."""
    experiment_ids = queries.many(request, "experiment_ids")
    if not experiment_ids:
        raise InvalidArgument("Missing value for required parameter 'experiment_ids'.")
    filter_string = queries.text(request, "filter") or None
    view = queries.view(request)
    limit = queries.integer(request, "limit", MAX_TABLE_ROWS, 1, MAX_TABLE_ROWS)
    assert limit is not None
    columns = [_column_spec(c) for c in queries.many(request, "columns")]
    store = queries.tracking(request)
    table = store.search_run_table(
        experiment_ids,
        filter_string=filter_string,
        run_view_type=view,
        max_results=limit,
        order_by=queries.many(request, "order_by") or None,
    )
    count = len(table)
    total = count
    if count >= limit:
        total = queries.overview(request).count_runs(experiment_ids, filter_string, view)
    none: list[Any] = [None] * count
    sources: dict[str, dict[str, list[Any]]] = {
        "metrics": dict(table.metrics),
        "params": dict(table.params),
        "tags": dict(table.tags),
    }
    body: dict[str, Any] = {
        "total": total,
        "count": count,
        "runs": {
            "run_id": table.run_id,
            "experiment_id": table.experiment_id,
            "name": table.run_name,
            "status": table.status,
            "start_time": table.start_time,
            "end_time": table.end_time,
            "user": table.user_id,
            "user_tag": table.tags.get(USER_TAG, none),
            "source": table.tags.get(SOURCE_TAG, none),
            "parent": table.tags.get(PARENT_TAG, none),
            "lifecycle_stage": table.lifecycle_stage,
        },
        "columns": {f"{kind}.{key}": sources[kind].get(key, none) for kind, key in columns},
        "keys": {kind: sorted(values) for kind, values in sources.items()},
    }
    return json_response(encode(body))


@router.get("/runs/metric-summaries")
def metric_summaries(request: Request) -> Response:
    """Each metric of a run: last value and step, finite min and max, point count."""
    run_id = queries.required(request, "run_id")
    summaries = queries.overview(request).metric_summaries(run_id)
    return json_response(encode({"metrics": [_summary(s) for s in summaries]}))


def _finite(value: float | None) -> float | str | None:
    if value is None or (value == value and abs(value) != float("inf")):
        return value
    return str(value).replace("inf", "Infinity").replace("nan", "NaN")


def _summary(summary: Any) -> dict[str, Any]:
    return {
        "key": summary.key,
        "last": _finite(summary.last),
        "last_step": summary.last_step,
        "last_timestamp": summary.last_timestamp,
        "min": _finite(summary.min),
        "max": _finite(summary.max),
        "count": summary.count,
    }


@router.post("/markdown")
async def markdown_preview(request: Request) -> Response:
    """``{"text": ...}`` rendered as the description would be (no raw HTML)."""
    body = decode_body(await read_body(request, 1 << 20))
    text = body.get("text")
    if not isinstance(text, str):
        raise InvalidArgument("Missing value for required parameter 'text'.")
    return json_response(encode({"html": render_markdown(text)}))
