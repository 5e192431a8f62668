"""Health, version and feature discovery (reference/mlflow-rest-api.md §2, §4.4).

``server-info`` carries the fields MLflow's artifact client reads: no multipart transfers, no
presigned-only mode, and whether this server proxies artifacts.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from runwell._version import __version__
from runwell.server.context import context_of
from runwell.server.responses import encode, json_response
from runwell.wire.version import MLFLOW_PROTOCOL_VERSION, RUNWELL_VERSION_HEADER

router = APIRouter(tags=["server"])


@router.get("/health", response_class=PlainTextResponse)
async def health() -> Response:
    """Liveness probe: ``OK`` (exempt from the Host allow-list)."""
    return PlainTextResponse("OK")


@router.get("/version", response_class=PlainTextResponse)
async def version() -> Response:
    """The MLflow protocol version served, as plain text (MLflow's client parses it and gates
    features on it); runwell's own version rides in a header."""
    return PlainTextResponse(MLFLOW_PROTOCOL_VERSION, headers={RUNWELL_VERSION_HEADER: __version__})


async def server_info(request: Request) -> Response:
    """Features this server offers; MLflow's client asks before touching artifacts."""
    context = context_of(request)
    return json_response(
        encode(
            {
                "store_type": "SqlStore" if context.tracking_store is not None else "None",
                "workspaces_enabled": False,
                "trace_archival_enabled": False,
                "multipart_uploads_enabled": False,
                "multipart_downloads_enabled": False,
                "artifact_serving_enabled": context.artifacts.serving,
                "artifacts_presigned_only": False,
                "tracking_auth": "",
            }
        )
    )


router.add_api_route(
    "/api/3.0/mlflow/server-info", server_info, methods=["GET"], response_class=Response
)
router.add_api_route(
    "/ajax-api/3.0/mlflow/server-info",
    server_info,
    methods=["GET"],
    response_class=Response,
    include_in_schema=False,
)
