"""Pages: one run (``/runs/<id>``), a metric chart (``/metric?runs=..&key=..``) and a logged
model (``/logged-models/<id>``).

The run page is rendered from ``get_run`` (overview, params, tags, description, inputs) plus
the run's children, its logged models and the registry versions made from it; its scripts add
metric summaries, the artifact browser and charts. With ``--auth`` what the run refers to is
shown only when the viewer may read it (auth/visibility.py): a parent run in an experiment
they cannot read appears by its id alone, other experiments' logged models and registered
models they cannot read not at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from runwell.entities import LoggedModel, Run
from runwell.errors import InvalidArgument, RunwellError
from runwell.server.auth.visibility import visible_experiments, visible_models, visible_runs
from runwell.server.context import context_of
from runwell.server.ui import queries
from runwell.server.ui.templating import html_page, page

router = APIRouter(include_in_schema=False)

NOTE_TAG = "mlflow.note.content"
PARENT_TAG = "mlflow.parentRunId"
SYSTEM_PREFIX = "system/"
MAX_CHILDREN = 200
MAX_CHART_RUNS = 100


def _children(request: Request, run: Run) -> list[Run]:
    found = queries.tracking(request).search_runs(
        [run.info.experiment_id],
        filter_string=f"tags.`{PARENT_TAG}` = '{run.info.run_id}'",
        max_results=MAX_CHILDREN,
        order_by=["attributes.start_time ASC"],
    )
    return list(found.items)


def _logged_models(request: Request, run: Run) -> list[LoggedModel]:
    store = queries.tracking(request)
    found = store.search_logged_models(
        [run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
        max_results=100,
    )
    models = {m.model_id: m for m in found.items}
    referenced = [m.model_id for m in run.outputs.model_outputs]
    referenced += [m.model_id for m in run.inputs.model_inputs]
    for model_id in referenced:
        if model_id not in models:
            try:
                models[model_id] = store.get_logged_model(model_id, allow_deleted=True)
            except RunwellError:
                continue
    return visible_experiments(request, list(models.values()))  # --auth: readable ones


def _versions(request: Request, run_id: str) -> list[Any]:
    """Registry versions made from the run; none when the server has no registry."""
    try:
        registry = context_of(request).registry()
        found = registry.search_model_versions(
            filter_string=f"run_id = '{run_id}'", max_results=100
        ).items
    except RunwellError:
        return []
    return visible_models(request, found)  # --auth: versions of readable models only


@router.get("/runs/{run_id}")
@router.get("/experiments/{experiment_id}/runs/{run_id}")
@html_page
def run_page(request: Request, run_id: str, experiment_id: str | None = None) -> Response:
    """Everything about one run."""
    store = queries.tracking(request)
    run = store.get_run(run_id)
    experiment = store.get_experiment(run.info.experiment_id)
    tags = run.data.tag_dict
    parent = None
    if tags.get(PARENT_TAG):
        try:
            parent = store.get_run(tags[PARENT_TAG])
        except RunwellError:
            parent = None
        if parent is not None and not visible_runs(request, [parent]):
            parent = None  # --auth: the page shows the tag's id, not the run's name
    metrics = sorted(run.data.metric_list, key=lambda m: m.key)
    state = {
        "run_id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "run_name": run.info.run_name,
        "start_time": run.info.start_time,
        "status": run.info.status.name,
        "metric_keys": [m.key for m in metrics],
    }
    return page(
        request,
        "run.html",
        title=run.info.run_name or run.info.run_id,
        run=run,
        experiment=experiment,
        note=tags.get(NOTE_TAG, ""),
        user_tags=sorted((k, v) for k, v in tags.items() if not k.startswith("mlflow.")),
        system_tags=sorted((k, v) for k, v in tags.items() if k.startswith("mlflow.")),
        params=sorted(run.data.param_list, key=lambda p: p.key),
        metrics=[m for m in metrics if not m.key.startswith(SYSTEM_PREFIX)],
        system_metrics=[m for m in metrics if m.key.startswith(SYSTEM_PREFIX)],
        parent=parent,
        parent_id=tags.get(PARENT_TAG, ""),
        children=_children(request, run),
        logged_models=_logged_models(request, run),
        versions=_versions(request, run.info.run_id),
        state=state,
    )


@router.get("/metric")
@html_page
def metric_page(request: Request) -> Response:
    """One metric of one or more runs on one chart (``?runs=a,b&key=loss``)."""
    run_ids = queries.many(request, "runs")
    key = queries.required(request, "key")
    if not run_ids:
        raise InvalidArgument("Choose the runs to chart: /metric?runs=<id>,<id>&key=<metric>.")
    if len(run_ids) > MAX_CHART_RUNS:
        raise InvalidArgument(f"At most {MAX_CHART_RUNS} runs fit on one chart.")
    store = queries.tracking(request)
    runs = [store.get_run(r) for r in run_ids]
    state = {
        "key": key,
        "runs": [
            {
                "run_id": r.info.run_id,
                "name": r.info.run_name,
                "start_time": r.info.start_time,
                "status": r.info.status.name,
            }
            for r in runs
        ],
    }
    return page(request, "metric.html", title=key, key=key, runs=runs, state=state)


@router.get("/logged-models/{model_id}")
@html_page
def logged_model_page(request: Request, model_id: str) -> Response:
    """A logged model: status, source run, params, tags and its artifacts."""
    store = queries.tracking(request)
    model = store.get_logged_model(model_id, allow_deleted=True)
    source = None
    if model.source_run_id:
        try:
            source = store.get_run(model.source_run_id)
        except RunwellError:
            source = None
        if source is not None and not visible_runs(request, [source]):
            source = None  # --auth: the page shows the run's id, not its name
    return page(
        request,
        "logged_model.html",
        title=model.name,
        model=model,
        source=source,
        state={"model_id": model.model_id},
    )
