"""The tracking server: ``create_app`` wires stores, routers and middleware into a FastAPI app.

Routes (reference/mlflow-rest-api.md): tracking RPCs and the ``mlflow-artifacts`` proxy under
``/api/2.0`` and ``/ajax-api/2.0``; ``/health``, ``/version``, ``/get-artifact`` and
``/api/3.0/mlflow/server-info`` at the root; all behind ``--static-prefix``. Middleware, outer
to inner: access log, security (Host/CORS/headers), unexpected-error envelope, then FastAPI's
exception handling with ``runwell.server.errors.error_response``.

``app_from_env`` is the factory uvicorn imports in each worker (``--workers N``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Sequence

from fastapi import APIRouter, FastAPI

from runwell._version import __version__
from runwell.entities.auth import Permission
from runwell.errors import InvalidArgument
from runwell.server import errors
from runwell.server.access_log import AccessLogMiddleware
from runwell.server.artifact_roots import ArtifactRoots, RepoFactory
from runwell.server.auth import AuthService, install
from runwell.server.config import DEFAULT_ALLOWED_HOSTS, DEFAULT_CORS_ORIGINS, ServerConfig
from runwell.server.context import ServerContext
from runwell.server.dispatch import RpcDispatch, rpc_routes
from runwell.server.limits import Limits, from_megabytes
from runwell.server.openapi import describe_rpcs
from runwell.server.routes import (
    ajax,
    artifacts,
    experiments,
    logged_models,
    meta,
    metrics,
    registry,
    runs,
    webhooks,
)
from runwell.server.security import SecurityMiddleware
from runwell.server.ui import mount_ui
from runwell.server.ui.csrf import CsrfGuard
from runwell.store import uri as uris
from runwell.store.protocols import TrackingStore
from runwell.store.sql.checkpointer import finish_all
from runwell.wire.paths import AJAX_PREFIX, API_PREFIX

# Routers mounted under /api/2.0 and /ajax-api/2.0, in order.
API_ROUTERS: list[APIRouter] = [
    experiments.router,
    runs.router,
    metrics.router,
    artifacts.router,
    logged_models.router,
    registry.router,
    webhooks.router,
]
# Routers mounted under /ajax-api/2.0 only (MLflow's UI-only routes).
AJAX_ROUTERS: list[APIRouter] = [ajax.router]
# Routers mounted at the root (after the static prefix).
ROOT_ROUTERS: list[APIRouter] = [meta.router, artifacts.ui_router]


def _checked_prefix(prefix: str) -> str:
    prefix = prefix.rstrip("/")
    if prefix and (not prefix.startswith("/") or "//" in prefix or ".." in prefix.split("/")):
        raise InvalidArgument(f"Invalid static prefix '{prefix}': expected a path like '/mlflow'.")
    return prefix


def create_app(
    tracking_store: TrackingStore | None,
    artifacts_destination: str | None = None,
    *,
    artifact_repo_factory: RepoFactory = uris.artifact_repo,
    allowed_hosts: Sequence[str] = DEFAULT_ALLOWED_HOSTS,
    cors_origins: Sequence[str] = DEFAULT_CORS_ORIGINS,
    static_prefix: str = "",
    serve_artifacts: bool = True,
    artifacts_only: bool = False,
    registry_store_uri: str | None = None,
    readable_artifact_roots: Sequence[str] = (),
    auth: AuthService | None = None,
    limits: Limits | None = None,
) -> FastAPI:
    """A FastAPI app serving MLflow's tracking REST API over ``tracking_store``.

    Args:
        tracking_store: the store behind the tracking RPCs (None with ``artifacts_only``).
        artifacts_destination: root URI (a local path or ``file://``, later ``s3://``) that
            ``mlflow-artifacts:/<p>`` maps to; without it the proxy answers 503.
        artifact_repo_factory: builds an ArtifactRepo for a URI.
        allowed_hosts: Host header patterns; others get 403 (``/health`` exempt).
        cors_origins: origins allowed to call the API from a browser.
        static_prefix: a path every route is served under (``/mlflow``).
        serve_artifacts: proxy artifacts (``--no-serve-artifacts`` turns it off: 503).
        artifacts_only: serve only artifacts; tracking routes answer 503.
        registry_store_uri: the model registry's store; by default the tracking store's
            database.
        readable_artifact_roots: local roots besides the destination whose run artifacts
            ``get-artifact`` and ``artifacts/list`` may read (the store's default root is
            added when it has one).
        auth: users and permissions (``--auth``); None serves everyone, as before.
        limits: request bounds (runwell.server.limits); the defaults when None.
    """
    prefix = _checked_prefix(static_prefix)
    store_root = getattr(tracking_store, "artifact_root", None)
    roots = [*readable_artifact_roots, *([store_root] if isinstance(store_root, str) else [])]
    artifact_roots = ArtifactRoots(
        artifacts_destination if serve_artifacts else None, artifact_repo_factory, roots
    )
    app = FastAPI(
        title="runwell tracking server",
        version=__version__,
        description="MLflow-compatible tracking REST API.",
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.runwell = ServerContext(
        tracking_store=tracking_store,
        artifacts=artifact_roots,
        artifacts_only=artifacts_only,
        registry_store_uri=registry_store_uri,
        limits=limits or Limits(),
    )
    mounts: list[tuple[str, APIRouter]] = []
    for router in API_ROUTERS:
        app.include_router(router, prefix=prefix + API_PREFIX)
        app.include_router(router, prefix=prefix + AJAX_PREFIX, include_in_schema=False)
        mounts += [(prefix + API_PREFIX, router), (prefix + AJAX_PREFIX, router)]
    for router in AJAX_ROUTERS:
        app.include_router(router, prefix=prefix + AJAX_PREFIX, include_in_schema=False)
        mounts.append((prefix + AJAX_PREFIX, router))
    for router in ROOT_ROUTERS:
        app.include_router(router, prefix=prefix)
        mounts.append((prefix, router))
    mount_ui(app, prefix)
    errors.register(app)
    rpcs = rpc_routes(mounts)
    app.add_middleware(RpcDispatch, fastapi_app=app, routes=rpcs)
    describe_rpcs(app, {path for _method, path in rpcs}.__contains__)
    if auth is not None:  # outside the dispatch: every request is checked
        install(app, auth, prefix)
    app.add_middleware(CsrfGuard)
    app.add_middleware(
        SecurityMiddleware,
        allowed_hosts=allowed_hosts,
        cors_origins=cors_origins,
        exempt_paths=(f"{prefix}/health",),
    )
    app.add_middleware(AccessLogMiddleware)
    return app


@contextlib.asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    # A clean stop (SIGTERM, SIGINT): the last requests are answered, so copy each SQLite
    # log this worker wrote back into its database file, leaving the file self-contained.
    finish_all()


def build_app(config: ServerConfig) -> FastAPI:
    """Stores from the config's URIs (creating or checking the schema), then the app."""
    store = None
    if not config.artifacts_only:
        store = uris.tracking_store(config.backend_store_uri, config.artifact_root)
    return create_app(
        store,
        config.artifacts_destination,
        allowed_hosts=config.allowed_hosts,
        cors_origins=config.cors_allowed_origins,
        static_prefix=config.static_prefix,
        serve_artifacts=config.serve_artifacts,
        artifacts_only=config.artifacts_only,
        registry_store_uri=config.registry_store_uri,
        auth=_auth_service(config),
        limits=from_megabytes(
            config.max_request_body_mb,
            config.max_batch_entities,
            config.max_results,
            config.max_upload_mb,
            config.max_concurrent_uploads,
        ),
    )


def _auth_service(config: ServerConfig) -> AuthService | None:
    if not config.auth:
        return None
    try:
        default = Permission.parse(config.auth_default_permission)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid --auth-default-permission: {exc}.") from None
    return AuthService.open(config.backend_store_uri, default)


def tune_server_process() -> None:
    """Process settings for a server worker (called by the CLI and in each spawned worker).

    A write holds the database's write lock while it releases the GIL around each SQLite call;
    taking the GIL back waits for whichever thread holds it, up to the switch interval (5 ms by
    default), while the event loop parses requests. Under concurrent writes those waits queued
    every other writer behind the lock: a 1 ms interval cut the slowest log-batch latencies
    several-fold at the same throughput.
    """
    sys.setswitchinterval(0.001)


def app_from_env() -> FastAPI:
    """The app described by RUNWELL_SERVER_* variables (uvicorn's ``factory=True`` target)."""
    tune_server_process()
    return build_app(ServerConfig.from_env())
