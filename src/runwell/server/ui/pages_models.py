"""Pages of the model registry: the models list with search (``/models``), one model with its
versions, aliases, stages and tags (``/model?name=``), and one version (``/model-version``).

Names travel in the query string: a registered model's name may hold a slash. Edits
(descriptions, tags, aliases, stages) go through the registry's ajax-api routes.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from runwell.entities.registry import ModelVersion, RegisteredModel
from runwell.errors import InvalidArgument, RunwellError
from runwell.server.auth.visibility import visible_models, visible_runs
from runwell.server.context import context_of
from runwell.server.routing import stops_when_client_leaves
from runwell.server.ui import queries
from runwell.server.ui.templating import html_page, page

router = APIRouter(include_in_schema=False)

STAGES = ("None", "Staging", "Production", "Archived")
MAX_MODELS = 1_000
MAX_VERSIONS = 1_000


def model_filter(query: str) -> str | None:
    """The search box's text as a filter: the grammar as typed, else a name substring."""
    if not query:
        return None
    if any(op in query for op in ("=", "LIKE", "like", "tags.")):
        return query
    escaped = query.replace("'", "")
    return f"name ILIKE '%{escaped}%'"


@router.get("/models")
@stops_when_client_leaves
@html_page
def models_page(request: Request) -> Response:
    """Registered models matching the search, with their latest versions and aliases."""
    query = queries.text(request, "q")
    registry = context_of(request).registry()
    error = None
    models: list[RegisteredModel] = []
    try:
        found = registry.search_registered_models(
            filter_string=model_filter(query), max_results=MAX_MODELS, order_by=["name ASC"]
        )
        models = visible_models(request, found.items)  # --auth: readable ones
    except InvalidArgument as exc:
        error = exc.message
    return page(
        request,
        "models.html",
        status=400 if error else 200,
        title="Models",
        models=models,
        query=query,
        error=error,
    )


def _versions(request: Request, name: str) -> list[ModelVersion]:
    registry = context_of(request).registry()
    escaped = name.replace("'", "\\'")
    found = registry.search_model_versions(
        filter_string=f"name = '{escaped}'",
        max_results=MAX_VERSIONS,
        order_by=["version_number DESC"],
    )
    return list(found.items)


@router.get("/model")
@html_page
def model_page(request: Request) -> Response:
    """One registered model: description, tags, aliases and every version."""
    name = queries.required(request, "name")
    model = context_of(request).registry().get_registered_model(name)
    return page(
        request,
        "model.html",
        title=model.name,
        model=model,
        versions=_versions(request, name),
        stages=STAGES,
        state={"name": model.name},
    )


@router.get("/model-version")
@html_page
def model_version_page(request: Request) -> Response:
    """One model version: stage, aliases, tags, description, source run and logged model."""
    name = queries.required(request, "name")
    number = queries.required(request, "version")
    version = context_of(request).registry().get_model_version(name, number)
    run = None
    if version.run_id:
        try:
            run = queries.tracking(request).get_run(version.run_id)
        except RunwellError:
            run = None
        if run is not None and not visible_runs(request, [run]):
            run = None  # --auth: the page shows the run's id, not its name
    return page(
        request,
        "model_version.html",
        title=f"{version.name} v{version.version}",
        version=version,
        run=run,
        stages=STAGES,
        state={"name": version.name, "version": version.version},
    )
