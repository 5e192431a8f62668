"""``mount_ui``: the UI's page, JSON and static routers on an app, under its static prefix."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from runwell.server.ui import (
    api_metrics,
    api_runs,
    artifacts,
    assets,
    pages_compare,
    pages_experiments,
    pages_models,
    pages_runs,
)
from runwell.server.ui.templating import not_found_page
from runwell.wire.paths import AJAX_PREFIX

UI_API_PREFIX = AJAX_PREFIX + "/runwell/ui"
API_ROUTERS: list[APIRouter] = [api_runs.router, api_metrics.router, artifacts.router]
PAGE_ROUTERS: list[APIRouter] = [
    assets.router,
    pages_experiments.router,
    pages_runs.router,
    pages_compare.router,
    pages_models.router,
]


def mount_ui(app: FastAPI, prefix: str) -> None:
    """Serve the UI's pages at ``prefix`` and its JSON endpoints at ``prefix`` +
    UI_API_PREFIX; unknown paths a browser navigates to get the HTML 404 page."""
    app.state.ui_prefix = prefix
    app.state.not_found_page = not_found_page
    for router in API_ROUTERS:
        app.include_router(router, prefix=prefix + UI_API_PREFIX)
    for router in PAGE_ROUTERS:
        app.include_router(router, prefix=prefix)
