"""Answer the JSON RPCs from one dictionary lookup, ahead of FastAPI's router.

FastAPI stays the source of truth: routes are declared on its routers (so the OpenAPI document
lists them), and everything that is not a JSON RPC (artifact streams, docs, /health) goes
through it. But its router tries each of several hundred routes in turn, and its inner
middleware stack wraps every call; for a small log-batch request that was more than half of
the server's CPU. This layer finds the RPC by (method, path) and calls its endpoint directly,
with the same error handling, inside the security and access-log middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from runwell.server.errors import error_response

Endpoint = Callable[[Request], Awaitable[Response]]

# Set on the endpoints that routing.rpc registers: they take the bare Request.
RPC_MARK = "__runwell_rpc__"


def rpc_routes(mounts: Sequence[tuple[str, APIRouter]]) -> dict[tuple[str, str], Endpoint]:
    """(method, full path) -> endpoint of every RPC route of the routers, each mounted at its
    prefix (as ``create_app`` includes them)."""
    routes: dict[tuple[str, str], Endpoint] = {}
    for prefix, router in mounts:
        for route in router.routes:
            if isinstance(route, APIRoute) and getattr(route.endpoint, RPC_MARK, False):
                for method in route.methods or ():
                    routes[(method, prefix + route.path)] = route.endpoint
    return routes


class RpcDispatch:
    """Pure-ASGI layer: known RPCs straight to their endpoint, the rest to the app."""

    def __init__(
        self, app: ASGIApp, fastapi_app: FastAPI, routes: dict[tuple[str, str], Endpoint]
    ) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self._routes.get((scope["method"], scope["path"]))
            if endpoint is not None:
                scope["app"] = self.fastapi_app
                request = Request(scope, receive)
                try:
                    response = await endpoint(request)
                except Exception as exc:
                    response = await error_response(request, exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
