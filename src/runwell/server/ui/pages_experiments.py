"""Pages: the experiments list (``/``, ``/experiments``) and the runs table of one experiment
(``/experiments/<id>``) or several (``/runs?experiments=1,2``).

The list is rendered here from the store (search, run counts, last activity); the runs table is
a shell whose script asks ``runs/table`` for its rows (api_runs.py).
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from runwell.entities import Experiment, ViewType
from runwell.errors import InvalidArgument
from runwell.server.auth.visibility import visible_experiments
from runwell.server.routing import stops_when_client_leaves
from runwell.server.ui import queries
from runwell.server.ui.templating import html_page, page

router = APIRouter(include_in_schema=False)

MAX_EXPERIMENTS = 5_000
NOTE_TAG = "mlflow.note.content"
# A query with one of these is the search grammar itself; anything else is a name fragment.
_GRAMMAR = re.compile(r"[=<>]|\b(LIKE|ILIKE|IN|IS)\b|\b(tags|attributes|name)\s*\.", re.I)


def experiment_filter(query: str) -> str | None:
    """The filter for the search box's text: the grammar as typed, or a name substring."""
    if not query:
        return None
    if _GRAMMAR.search(query):
        return query
    quote = "'" if "'" not in query else '"'
    if quote in query:
        return query
    return f"name ILIKE {quote}%{query}%{quote}"


def _experiments(request: Request, view: ViewType, filter_string: str | None) -> list[Experiment]:
    store = queries.tracking(request)
    found: list[Experiment] = []
    token: str | None = None
    while len(found) < MAX_EXPERIMENTS:
        page_ = store.search_experiments(
            view_type=view,
            max_results=1000,
            filter_string=filter_string,
            order_by=["last_update_time DESC"],
            page_token=token,
        )
        found.extend(page_.items)
        token = page_.token
        if not token:
            break
    return found


@router.get("/")
@router.get("/experiments")
@stops_when_client_leaves
@html_page
def experiments_page(request: Request) -> Response:
    """Every experiment matching the search, with run counts and last activity."""
    query = queries.text(request, "q")
    view_name = queries.text(request, "view", "active")
    view = queries.view(request)
    error = None
    try:
        experiments = _experiments(request, view, experiment_filter(query))
        experiments = visible_experiments(request, experiments)  # --auth: readable ones
    except InvalidArgument as exc:
        error, experiments = exc.message, []
    summaries = queries.overview(request).experiment_summaries(
        [e.experiment_id for e in experiments]
    )
    return page(
        request,
        "experiments.html",
        status=400 if error else 200,
        title="Experiments",
        experiments=experiments,
        summaries=summaries,
        query=query,
        view=view_name,
        error=error,
        truncated=len(experiments) >= MAX_EXPERIMENTS,
    )


def _runs_page(request: Request, experiment_ids: list[str]) -> Response:
    store = queries.tracking(request)
    experiments = [store.get_experiment(e) for e in experiment_ids]
    title = experiments[0].name if len(experiments) == 1 else f"{len(experiments)} experiments"
    notes = {e.experiment_id: e.tags.get(NOTE_TAG) for e in experiments}
    state = {
        "experiment_ids": [e.experiment_id for e in experiments],
        "names": {e.experiment_id: e.name for e in experiments},
    }
    return page(
        request,
        "runs.html",
        title=title,
        experiments=experiments,
        notes=notes,
        state=state,
    )


@router.get("/experiments/{experiment_id}")
@html_page
def experiment_page(request: Request, experiment_id: str) -> Response:
    """The runs table of one experiment."""
    return _runs_page(request, [experiment_id])


@router.get("/runs")
@html_page
def runs_of_experiments(request: Request) -> Response:
    """The runs table of several experiments (``?experiments=1,2``)."""
    ids = queries.many(request, "experiments")
    if not ids:
        raise InvalidArgument("Choose experiments to show: /runs?experiments=<id>,<id>.")
    return _runs_page(request, ids)
