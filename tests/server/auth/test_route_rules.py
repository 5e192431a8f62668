"""Every route of the app has a permission rule (default-deny), and the rule table has no
rule for a route that does not exist.

This walks the app's real route table, so a route added anywhere (a new RPC, a UI page, a
router included later) fails here until ``runwell/server/auth/rules.py`` gives it a rule.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.responses import PlainTextResponse

from runwell.server.app import create_app
from runwell.server.auth.routes import REBUILD_AFTER_S, RouteRules, flat_routes, route_keys
from runwell.server.auth.rules import RULES, Access
from runwell.store.sql.tracking import SqlTrackingStore
from tests.server.auth.conftest import Secured, auth_service


@pytest.fixture
def secured_app(tmp_path: Path, template_db: Path) -> FastAPI:
    path = tmp_path / "rules.db"
    shutil.copyfile(template_db, path)
    store = SqlTrackingStore(f"sqlite:///{path}", "mlflow-artifacts:")
    return create_app(store, str(tmp_path / "artifacts"), auth=auth_service(path))


def _keys(app: FastAPI, prefix: str = "") -> set[tuple[str, str]]:
    return {key for route in flat_routes(app.routes) for key in route_keys(route, prefix)}


def test_every_route_has_a_permission_rule(secured_app: FastAPI) -> None:
    keys = _keys(secured_app)
    assert len(keys) > 100  # the walk really saw the app's routes
    missing = sorted(k for k in keys if k not in RULES)
    assert missing == [], f"routes without a rule in runwell/server/auth/rules.py: {missing}"


def test_every_rule_names_a_route(secured_app: FastAPI) -> None:
    stale = sorted(k for k in RULES if k not in _keys(secured_app))
    assert stale == [], f"rules for routes that do not exist: {stale}"


def test_rules_hold_under_a_static_prefix(tmp_path: Path, template_db: Path) -> None:
    path = tmp_path / "prefixed.db"
    shutil.copyfile(template_db, path)
    store = SqlTrackingStore(f"sqlite:///{path}", "mlflow-artifacts:")
    app = create_app(store, str(tmp_path / "a"), auth=auth_service(path), static_prefix="/mlflow")
    assert sorted(k for k in _keys(app, "/mlflow") if k not in RULES) == []
    rules = RouteRules(app.routes, "/mlflow")
    found = rules.match("GET", "/mlflow/api/2.0/mlflow/runs/get")
    assert found is not None and found.rule is RULES[("GET", "/api/2.0/mlflow/runs/get")]


def test_public_routes_are_only_the_ones_that_must_be(secured_app: FastAPI) -> None:
    public = sorted(k for k, rule in RULES.items() if rule.access is Access.PUBLIC)
    assert public == [
        ("GET", "/health"),
        ("GET", "/login"),
        ("GET", "/static-files/{build}/vendor/plotly.min.js"),
        ("GET", "/static-files/{build}/{asset:path}"),
        ("POST", "/login"),
    ]


def test_no_exact_route_is_shadowed_by_an_earlier_templated_one(secured_app: FastAPI) -> None:
    """The matcher tries exact paths first, Starlette tries routes in order: they agree only
    if no templated route declared earlier also matches an exact path."""
    routes = list(flat_routes(secured_app.routes))
    for index, route in enumerate(routes):
        if route.convertors or route.mount:
            continue
        for earlier in routes[:index]:
            if earlier.convertors and route.methods & earlier.methods:
                assert not earlier.regex.match(route.path), (earlier.path, route.path)


def test_a_route_added_without_a_rule_is_refused(secured: Secured) -> None:
    assert secured.admin.get("/api/2.0/mlflow/experiments/get?experiment_id=0").is_success

    @secured.app.get("/api/2.0/mlflow/brand-new")
    def brand_new() -> PlainTextResponse:
        return PlainTextResponse("should not be reachable")

    time.sleep(REBUILD_AFTER_S + 0.1)  # the table is rebuilt when older than this
    response = secured.admin.get("/api/2.0/mlflow/brand-new")
    assert response.status_code == 403, response.text
    assert "no permission rule" in response.json()["message"]
