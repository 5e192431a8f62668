"""Authentication and per-resource permissions for ``runwell server --auth``.

``install(app, service, prefix)`` adds the user/permission API, the sign-in pages and the
``AuthMiddleware``; ``create_app`` calls it between the RPC dispatch and the security layer,
so every request is checked, dispatched RPCs included. Without ``--auth`` none of this is
imported by the server.
"""

from __future__ import annotations

from fastapi import FastAPI

from runwell.server.auth import api, login
from runwell.server.auth.middleware import AuthMiddleware, identity_of
from runwell.server.auth.routes import RouteRules
from runwell.server.auth.service import AuthService
from runwell.wire.paths import AJAX_PREFIX, API_PREFIX

__all__ = ["AuthMiddleware", "AuthService", "identity_of", "install"]


def install(app: FastAPI, service: AuthService, prefix: str = "") -> None:
    """Mount the auth routes on ``app`` and wrap it in the auth middleware (added now, so it
    sits outside every middleware added before it)."""
    app.state.runwell_auth = service
    app.state.runwell_prefix = prefix
    app.include_router(api.router, prefix=prefix + API_PREFIX)
    app.include_router(api.router, prefix=prefix + AJAX_PREFIX, include_in_schema=False)
    app.include_router(login.router, prefix=prefix)
    app.add_middleware(
        AuthMiddleware,
        routes=RouteRules(app.routes, prefix),
        service=service,
        prefix=prefix,
        max_body=app.state.runwell.limits.max_request_body,
    )
