"""Artifact routes: the ``mlflow-artifacts`` proxy (§6), run-scoped listing and UI download.

Every path is checked by ``safe_artifact_path`` before any storage call. Uploads stream to a
temporary file (``runwell.server.uploads``) and downloads stream with
``ArtifactRepo.read_chunks``, so neither holds a file in memory. Multipart and presigned
transfers are not offered (``server-info`` says so); their routes answer 501.
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from runwell.errors import ErrorCode, RunwellError
from runwell.server.artifact_paths import safe_artifact_path, safe_file_path
from runwell.server.artifact_roots import list_dir, open_file
from runwell.server.context import ServerContext, context_of
from runwell.server.request import request_fields
from runwell.server.responses import EMPTY, json_response
from runwell.server.routing import Json, rpc, run_id_of
from runwell.server.uploads import store_upload
from runwell.wire import paths
from runwell.wire.codec import file_info_to_json
from runwell.wire.fields import Fields

# Mounted under /api/2.0 and /ajax-api/2.0 with the tracking routers.
router = APIRouter(tags=["artifacts"])
# Mounted at the root (after --static-prefix): UI download links.
ui_router = APIRouter(tags=["artifacts"])

_FILE = paths.ARTIFACTS + "/{artifact_path:path}"
# MLflow's download types (``mlflow.utils.mime_type_utils``): these extensions, and the
# extensionless MLmodel and MLproject, are sent as text/plain; other names get their guessed
# type, application/octet-stream when there is none.
_TEXT_EXTENSIONS = frozenset(
    "txt log err cfg conf cnf cf ini properties prop hocon toml yaml yml xml json js py py3 "
    "csv tsv md rst ipynb MLmodel MLproject".split()
)
# Types a browser could run or render as a page are sent as text/plain, where MLflow sends
# them as guessed (an attachment with nosniff): never HTML or SVG from the server's origin.
_ACTIVE_TYPES = frozenset(
    {
        "application/javascript",
        "application/xhtml+xml",
        "application/xml",
        "image/svg+xml",
        "text/html",
        "text/javascript",
        "text/xml",
    }
)


def content_type(name: str) -> str:
    """The Content-Type of a download named ``name`` (no charset, as MLflow sends it)."""
    extension = posixpath.splitext(name)[1].lstrip(".") or name
    if extension in _TEXT_EXTENSIONS:
        return "text/plain"
    guessed, _encoding = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream"
    if guessed in _ACTIVE_TYPES or "html" in guessed or guessed.endswith(("/xml", "+xml")):
        return "text/plain"
    return guessed


def file_response(chunks: Iterator[bytes], path: str) -> Response:
    """A streamed download: MLflow's type, attachment disposition (nosniff is global)."""
    name = posixpath.basename(path)
    quoted = quote(name)
    disposition = (
        f'attachment; filename="{name}"'
        if quoted == name
        else f"attachment; filename*=utf-8''{quoted}"
    )
    # Set as a header, not media_type: Starlette would add "; charset=utf-8" to text types.
    return StreamingResponse(
        chunks, headers={"Content-Type": content_type(name), "Content-Disposition": disposition}
    )


# ---------------------------------------------------------------- mlflow-artifacts proxy


@rpc(router, paths.ARTIFACTS, ("GET",), tracking=False)
def list_artifacts(context: ServerContext, fields: Fields) -> Json:
    """Entries directly under ``path`` (basenames); ``{}`` for a missing path or a file."""
    path = safe_artifact_path(fields.text("path"), allow_root=True)
    infos = list_dir(context.artifacts.destination(), path)
    files = []
    for info in infos:
        encoded = file_info_to_json(info)
        encoded["path"] = posixpath.basename(info.path)
        files.append(encoded)
    return {"files": files} if files else {}


@router.put(_FILE, response_class=Response, summary="Upload an artifact (raw body)")
async def upload_artifact(request: Request, artifact_path: str) -> Response:
    """Store the raw request body as the file at ``artifact_path``, replacing any."""
    context = context_of(request)
    repo = context.artifacts.destination()
    path = safe_file_path(artifact_path)
    limits = context.limits
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_upload:
        raise limits.too_large("The upload", limits.max_upload)
    try:
        with limits.upload_slot():  # 429 past --max-concurrent-uploads
            await store_upload(request.stream(), repo, path, limits.max_upload)
    except ClientDisconnect:
        return Response(status_code=400)
    return json_response(EMPTY)


@router.get(_FILE, response_class=Response, summary="Download an artifact")
async def download_artifact(request: Request, artifact_path: str) -> Response:
    """Stream the file at ``artifact_path``."""
    repo = context_of(request).artifacts.destination()
    path = safe_file_path(artifact_path)
    chunks = await run_in_threadpool(open_file, repo, path)
    return file_response(chunks, path)


@router.delete(_FILE, response_class=Response, summary="Delete an artifact file or directory")
async def delete_artifact(request: Request, artifact_path: str) -> Response:
    """Delete a file or a whole directory; a missing path is not an error."""
    repo = context_of(request).artifacts.destination()
    path = safe_artifact_path(artifact_path)
    await run_in_threadpool(repo.delete_artifacts, path)
    return json_response(EMPTY)


def _not_implemented(what: str) -> RunwellError:
    return RunwellError(
        f"{what} are not supported by this server; transfer through the proxy instead.",
        ErrorCode.NOT_IMPLEMENTED,
    )


@router.post("/mlflow-artifacts/mpu/{action}/{artifact_path:path}", include_in_schema=False)
async def multipart_upload(action: str, artifact_path: str) -> Response:
    raise _not_implemented("Multipart uploads")


@router.get("/mlflow-artifacts/presigned/{artifact_path:path}", include_in_schema=False)
async def presigned_download(artifact_path: str) -> Response:
    raise _not_implemented("Presigned downloads")


# ---------------------------------------------------------------- run artifacts


@rpc(router, paths.ARTIFACTS_LIST, ("GET",))
def list_run_artifacts(context: ServerContext, fields: Fields) -> Json:
    """A run's artifacts directly under ``path``, paths relative to the run's root."""
    run = context.tracking().get_run(run_id_of(fields))
    path = safe_artifact_path(fields.text("path"), allow_root=True)
    root = run.info.artifact_uri
    infos = context.artifacts.for_uri(root).list_artifacts(path or None)
    out: Json = {"root_uri": root}
    if infos:
        out["files"] = [file_info_to_json(info) for info in infos]
    return out


@rpc(router, "/mlflow/artifacts/presigned-upload-url")
def presigned_upload_url(context: ServerContext, fields: Fields) -> Json:
    """Not offered: artifacts go through the proxy."""
    raise _not_implemented("Presigned upload URLs")


@rpc(router, "/mlflow/artifacts/presigned-download-url")
def presigned_download_url(context: ServerContext, fields: Fields) -> Json:
    """Not offered: artifacts go through the proxy."""
    raise _not_implemented("Presigned download URLs")


def _open_run_file(context: ServerContext, fields: Fields) -> tuple[Iterator[bytes], str]:
    run = context.tracking().get_run(run_id_of(fields))
    path = safe_file_path(fields.text("path"))
    return open_file(context.artifacts.for_uri(run.info.artifact_uri), path), path


@ui_router.get("/get-artifact", response_class=Response, summary="Download a run artifact")
async def get_artifact(request: Request) -> Response:
    """Download ``path`` of run ``run_id`` as an attachment (UI links)."""
    context = context_of(request)
    fields = await request_fields(request)
    chunks, path = await run_in_threadpool(_open_run_file, context, fields)
    return file_response(chunks, path)
