"""Find the rule of a request: match it against the app's own route table.

The table is built from ``app.routes`` on the first request (routers included after the
middleware was added are covered too): paths without parameters go in a dictionary keyed by
``(method, path)``, templated ones (``/logged-models/{model_id}``) are tried in order with
the regular expression Starlette compiled for them, and mounted sub-apps (static files) by
their prefix. ``HEAD`` is checked as ``GET``. A route with no rule matches with
``rule=None``, which the middleware refuses. A request that matches nothing rebuilds the
table first (at most once a second), so a route added after the first request is refused
as well, not let through unchecked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute, Mount, Route

from runwell.server.auth.rules import RULES, Rule

MOUNT = "MOUNT"
# A request matching no route rebuilds the table when it is older than this.
REBUILD_AFTER_S = 1.0


@dataclass(frozen=True)
class Match:
    template: str
    rule: Rule | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlatRoute:
    """One route as the router sees it: its full path, methods, and how its path matches."""

    path: str
    methods: frozenset[str]
    regex: Any
    convertors: dict[str, Any]
    mount: bool = False


def flat_routes(routes: list[BaseRoute]) -> Iterator[FlatRoute]:
    """Every route of an app, included routers flattened.

    FastAPI 0.165 keeps an included router as one ``_IncludedRouter`` entry whose routes it
    builds on demand (``effective_route_contexts``); older versions copy each route into
    ``app.routes``. Both are read here.
    """
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            yield from _flat(route)
            continue
        for context in contexts():
            inner = getattr(context, "starlette_route", None)
            if inner is not None:
                yield from _flat(inner)
            elif isinstance(getattr(context, "path", None), str) and context.path_regex:
                yield FlatRoute(
                    context.path,
                    frozenset(context.methods or ()),
                    context.path_regex,
                    dict(context.param_convertors or {}),
                )


def _flat(route: BaseRoute) -> Iterator[FlatRoute]:
    path = getattr(route, "path", None)
    regex = getattr(route, "path_regex", None)
    if not isinstance(path, str) or regex is None:
        return
    convertors = dict(getattr(route, "param_convertors", {}) or {})
    if isinstance(route, Mount):
        yield FlatRoute(path, frozenset(), regex, convertors, mount=True)
    elif isinstance(route, Route):
        yield FlatRoute(path, frozenset(route.methods or ()), regex, convertors)


def route_keys(route: FlatRoute, prefix: str) -> list[tuple[str, str]]:
    """(method, path after the static prefix) of a route; ``(MOUNT, path)`` for a mount."""
    path = route.path
    relative = path[len(prefix) :] if prefix and path.startswith(prefix) else path
    if route.mount:
        return [(MOUNT, relative)]
    return [(m, relative) for m in sorted(route.methods) if m != "HEAD"]


class RouteRules:
    """Rules by route, for an app whose routes sit under ``prefix``."""

    def __init__(
        self,
        routes: list[BaseRoute],
        prefix: str = "",
        rules: Mapping[tuple[str, str], Rule] = RULES,
    ) -> None:
        self._routes = routes
        self.prefix = prefix
        self.rules = rules
        self._table: _Table | None = None
        self._lock = threading.Lock()

    def _build(self, again: bool = False) -> _Table:
        with self._lock:
            if self._table is not None and not again:
                return self._table
            table = _Table(time.monotonic())
            for route in flat_routes(self._routes):
                for method, relative in route_keys(route, self.prefix):
                    rule = self.rules.get((method, relative))
                    if route.mount:
                        table.mounts.append((route.path, rule))
                    elif route.convertors:
                        table.templated.append((method, relative, rule, route))
                    else:
                        table.exact.setdefault((method, route.path), Match(relative, rule))
            self._table = table  # swapped whole: a request never sees half a table
            return table

    def match(self, method: str, path: str) -> Match | None:
        """The rule for ``METHOD path``; None when no route has that path and method."""
        if method == "HEAD":
            method = "GET"
        table = self._table or self._build()
        found = table.match(method, path)
        if found is None and time.monotonic() - table.built_at > REBUILD_AFTER_S:
            found = self._build(again=True).match(method, path)
        return found


@dataclass
class _Table:
    built_at: float
    exact: dict[tuple[str, str], Match] = field(default_factory=dict)
    templated: list[tuple[str, str, Rule | None, FlatRoute]] = field(default_factory=list)
    mounts: list[tuple[str, Rule | None]] = field(default_factory=list)

    def match(self, method: str, path: str) -> Match | None:
        hit = self.exact.get((method, path))
        if hit is not None:
            return hit
        for route_method, template, rule, route in self.templated:
            if route_method != method:
                continue
            found = route.regex.match(path)
            if found is not None:
                params = {
                    name: route.convertors[name].convert(value)
                    for name, value in found.groupdict().items()
                }
                return Match(template, rule, params)
        for mount_path, rule in self.mounts:
            if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                return Match(mount_path, rule)
        return None
