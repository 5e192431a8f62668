"""The artifact browser's endpoints: listing, previews and inline views of a run's (or a
logged model's) files.

A preview is JSON data the page puts in the DOM as text, never markup: text, pretty JSON,
YAML, the first rows of a CSV/TSV or Parquet table, an MLmodel's flavors, signature and
requirements, or a pointer to an image or a sandboxed HTML page. ``artifacts/raw`` is the only
place a file's bytes are shown in the browser rather than downloaded: images get their own
type, HTML gets ``text/html`` under a CSP that sandboxes it (no scripts, no same-origin access,
nothing loaded from anywhere) and is embedded only in a ``sandbox`` iframe; everything else is
``text/plain``. ``nosniff`` is set on every response.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Iterator
from typing import Any

import yaml
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runwell.errors import InvalidArgument, NotFound
from runwell.server.artifact_paths import safe_artifact_path, safe_file_path
from runwell.server.artifact_roots import list_dir, open_file
from runwell.server.context import context_of
from runwell.server.responses import encode, json_response
from runwell.server.ui import queries
from runwell.store.protocols import ArtifactRepo
from runwell.wire.codec import file_info_to_json

router = APIRouter(include_in_schema=False)

TEXT_LIMIT = 256 * 1024
TABLE_BYTES = 1 << 20
TABLE_ROWS = 100
PARQUET_LIMIT = 64 << 20
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
HTML_SUFFIXES = (".html", ".htm")
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
)

Json = dict[str, Any]


def read_prefix(repo: ArtifactRepo, path: str, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the file, and whether there was more."""
    chunks: Iterator[bytes] = open_file(repo, path)
    buffer = bytearray()
    more = False
    try:
        for chunk in chunks:
            buffer += chunk
            if len(buffer) > limit:
                more = True
                break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return bytes(buffer[:limit]), more


def _text(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4:  # a character cut at the limit
            return data[: exc.start].decode("utf-8")
        return None


def kind_of(path: str) -> str:
    name = posixpath.basename(path)
    suffix = posixpath.splitext(name)[1].lower()
    if name == "MLmodel":
        return "mlmodel"
    if suffix in IMAGE_TYPES:
        return "image"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".csv", ".tsv"):
        return "table"
    if suffix == ".parquet":
        return "parquet"
    return "text"


def preview_of(repo: ArtifactRepo, path: str) -> Json:
    """The preview data of one file (see the module docstring)."""
    kind = kind_of(path)
    if kind in ("image", "html"):
        read_prefix(repo, path, 0)  # 404 now rather than a broken image later
        return {"kind": kind}
    if kind == "parquet":
        return _parquet(repo, path)
    data, more = read_prefix(repo, path, TABLE_BYTES if kind == "table" else TEXT_LIMIT)
    text = _text(data)
    if text is None:
        return {"kind": "binary", "truncated": more}
    if kind == "table":
        return _table(text, "\t" if path.lower().endswith(".tsv") else ",", more)
    if kind == "json" and not more:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    if kind == "mlmodel":
        return _mlmodel(repo, path, text)
    return {"kind": "yaml" if kind == "yaml" else kind, "text": text, "truncated": more}


def _table(text: str, delimiter: str, more: bool) -> Json:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    for row in reader:
        rows.append(row)
        if len(rows) > TABLE_ROWS:
            break
    if not rows:
        return {"kind": "table", "columns": [], "rows": [], "truncated": False}
    return {
        "kind": "table",
        "columns": rows[0],
        "rows": rows[1 : TABLE_ROWS + 1],
        "truncated": more or len(rows) > TABLE_ROWS,
    }


def _parquet(repo: ArtifactRepo, path: str) -> Json:
    data, more = read_prefix(repo, path, PARQUET_LIMIT)
    if more:
        return {"kind": "message", "text": "Parquet file too large to preview; download it."}
    try:
        import pyarrow.parquet as pq  # optional: the preview needs pyarrow, nothing else does
    except ImportError:
        return {"kind": "message", "text": "Install pyarrow to preview Parquet files."}
    try:
        handle = pq.ParquetFile(io.BytesIO(data))
        batch = next(handle.iter_batches(batch_size=TABLE_ROWS), None)
    except Exception as exc:  # pyarrow raises its own hierarchy for a damaged file
        return {"kind": "message", "text": f"Not a readable Parquet file: {exc}"}
    columns = [str(name) for name in handle.schema_arrow.names]
    rows: list[list[str]] = []
    if batch is not None:
        table = batch.to_pydict()
        rows = [[_cell(table[c][i]) for c in table] for i in range(batch.num_rows)]
    return {
        "kind": "table",
        "columns": columns,
        "rows": rows,
        "truncated": handle.metadata.num_rows > len(rows),
        "total_rows": handle.metadata.num_rows,
    }


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _signature_fields(raw: Any) -> list[Json]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        if isinstance(item, dict):
            shape = item.get("shape")
            out.append(
                {
                    "name": str(item.get("name", "")),
                    "type": str(item.get("type", "")),
                    "dtype": str(item.get("dtype", "") or ""),
                    "shape": "" if shape is None else json.dumps(shape),
                    "required": str(item.get("required", True)).lower(),
                }
            )
    return out


def _mlmodel(repo: ArtifactRepo, path: str, text: str) -> Json:
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError:
        spec = None
    if not isinstance(spec, dict):
        return {"kind": "text", "text": text, "truncated": False}
    flavors = []
    for name, conf in (spec.get("flavors") or {}).items():
        details = conf if isinstance(conf, dict) else {}
        flavors.append(
            {"name": str(name), "details": {str(k): _short(v) for k, v in details.items()}}
        )
    signature = spec.get("signature") or {}
    requirements = ""
    folder = posixpath.dirname(path)
    try:
        data, _more = read_prefix(repo, posixpath.join(folder, "requirements.txt"), TEXT_LIMIT)
        requirements = _text(data) or ""
    except NotFound:
        pass
    skip = {"flavors", "signature"}
    return {
        "kind": "mlmodel",
        "text": text,
        "flavors": flavors,
        "inputs": _signature_fields(signature.get("inputs")),
        "outputs": _signature_fields(signature.get("outputs")),
        "params": _signature_fields(signature.get("params")),
        "requirements": requirements,
        "info": {str(k): _short(v) for k, v in spec.items() if k not in skip},
    }


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 500 else text[:500] + "…"


def _repo(request: Request) -> ArtifactRepo:
    run_id, model_id = queries.text(request, "run_id"), queries.text(request, "model_id")
    store = queries.tracking(request)
    if run_id:
        root = store.get_run(run_id).info.artifact_uri
    elif model_id:
        root = store.get_logged_model(model_id).artifact_location
    else:
        raise InvalidArgument("Missing value for required parameter 'run_id' or 'model_id'.")
    return context_of(request).artifacts.for_uri(root)


@router.get("/artifacts/list")
def list_artifacts(request: Request) -> Response:
    """Entries directly under ``path`` of a run's or a logged model's artifacts."""
    path = safe_artifact_path(queries.text(request, "path") or None, allow_root=True)
    infos = list_dir(_repo(request), path)
    files = sorted(
        (file_info_to_json(info) for info in infos),
        key=lambda f: (not f.get("is_dir", False), f["path"]),
    )
    return json_response(encode({"files": files}))


@router.get("/artifacts/preview")
def preview(request: Request) -> Response:
    """What the browser shows for one file (``preview_of``)."""
    path = safe_file_path(queries.text(request, "path"))
    return json_response(encode({"path": path, **preview_of(_repo(request), path)}))


@router.get("/artifacts/raw")
async def raw(request: Request) -> Response:
    """The file inline, with a forced type and a sandboxing CSP (module docstring)."""
    path = safe_file_path(queries.text(request, "path"))
    repo = await run_in_threadpool(_repo, request)
    chunks = await run_in_threadpool(open_file, repo, path)
    suffix = posixpath.splitext(path)[1].lower()
    kind = kind_of(path)
    if kind == "image":
        media = IMAGE_TYPES[suffix]
    elif kind == "html":
        media = "text/html; charset=utf-8"
    else:
        media = "text/plain; charset=utf-8"
    return StreamingResponse(
        chunks,
        media_type=media,
        headers={
            "Content-Security-Policy": SANDBOX_CSP,
            "Content-Disposition": "inline",
            "Cache-Control": "private, max-age=60",
        },
    )
