"""Page: compare 2 to 100 runs, from any experiments (``/compare?runs=a,b,c``).

Params and latest metrics come from ``get_run``, one table each with a row per key; a row
whose values differ between runs is flagged (the page highlights it and can hide the rest).
The script draws the parallel-coordinates plot, the scatter and the overlaid metric charts.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from runwell.errors import InvalidArgument
from runwell.server.ui import queries
from runwell.server.ui.templating import html_page, page

router = APIRouter(include_in_schema=False)

MIN_RUNS, MAX_RUNS = 2, 100


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@router.get("/compare")
@html_page
def compare_page(request: Request) -> Response:
    """Params, metrics and charts of the chosen runs side by side."""
    run_ids = queries.many(request, "runs")
    if not MIN_RUNS <= len(run_ids) <= MAX_RUNS:
        raise InvalidArgument(
            f"Compare needs {MIN_RUNS} to {MAX_RUNS} runs (got {len(run_ids)}): "
            "select them in a runs table."
        )
    store = queries.tracking(request)
    runs = [store.get_run(r) for r in run_ids]
    names = {e: store.get_experiment(e).name for e in {r.info.experiment_id for r in runs}}
    param_keys = sorted({p.key for r in runs for p in r.data.param_list})
    metric_keys = sorted({m.key for r in runs for m in r.data.metric_list})
    params = [r.data.param_dict for r in runs]
    metrics = [r.data.metric_dict for r in runs]
    param_rows = []
    for key in param_keys:
        values = [p.get(key) for p in params]
        param_rows.append((key, values, len(set(values)) > 1))
    metric_rows = []
    for key in metric_keys:
        numbers = [m.get(key) for m in metrics]
        metric_rows.append((key, numbers, len({repr(v) for v in numbers}) > 1))
    state: dict[str, Any] = {
        "runs": [
            {
                "run_id": r.info.run_id,
                "name": r.info.run_name,
                "experiment": names[r.info.experiment_id],
                "start_time": r.info.start_time,
            }
            for r in runs
        ],
        "params": {k: [p.get(k) for p in params] for k in param_keys},
        "metrics": {
            k: [None if m.get(k) is None else _json_number(m[k]) for m in metrics]
            for k in metric_keys
        },
    }
    return page(
        request,
        "compare.html",
        title=f"Compare {len(runs)} runs",
        runs=runs,
        experiment_names=names,
        param_rows=param_rows,
        metric_rows=metric_rows,
        state=state,
    )
