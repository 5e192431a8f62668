"""The UI's static files: our CSS and ES modules, and Plotly.js from the installed ``plotly``
wheel (no CDN, no build step; the page works offline).

Files are served under ``/static-files/<build>/...`` where ``<build>`` hashes the package
version, our files and the installed Plotly.js, so they can be cached for a year (a second
visit fetches nothing) and an upgrade of either still reaches every browser; ES modules import
each other relatively, inside the same build folder. Plotly.js (4.8 MB) goes out gzipped to
browsers that accept it (1.4 MB over the wire), compressed once per process.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import mimetypes
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from runwell._version import __version__
from runwell.errors import NotFound, Unavailable

STATIC = Path(__file__).parent / "static"
PLOTLY_NAME = "plotly.min.js"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
_CACHE = "public, max-age=31536000, immutable"

router = APIRouter(include_in_schema=False)


@cache
def build_id() -> str:
    """Version plus a hash of our static files and Plotly.js (names, sizes, modification
    times)."""
    digest = hashlib.sha256(__version__.encode())
    files = [p for p in sorted(STATIC.rglob("*")) if p.is_file()]
    plotly = plotly_path()
    for path in [*files, *([plotly] if plotly else [])]:
        stat = path.stat()
        digest.update(f"{path.name}:{path.parent}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


@cache
def plotly_path() -> Path | None:
    """plotly.min.js inside the installed plotly package, found without importing it."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "package_data" / PLOTLY_NAME
        if candidate.is_file():
            return candidate
    return None


def _file(path: Path) -> Response:
    kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": _CACHE})


@cache
def _gzipped(path: Path) -> bytes:
    # mtime=0: the same bytes every time, whichever process compresses them.
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


@router.get("/static-files/{build}/vendor/" + PLOTLY_NAME)
def plotly_js(build: str, request: Request) -> Response:
    """Plotly.js from the plotly wheel, gzipped when the browser takes gzip."""
    path = plotly_path()
    if path is None:
        raise Unavailable("plotly is not installed: `pip install plotly` to draw charts.")
    if "gzip" not in request.headers.get("accept-encoding", ""):
        response = _file(path)
        response.headers["Vary"] = "Accept-Encoding"
        return response
    headers = {"Cache-Control": _CACHE, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return Response(_gzipped(path), media_type="text/javascript", headers=headers)


@router.get("/static-files/{build}/{asset:path}")
def static_file(build: str, asset: str) -> Response:
    """One of the UI's own files; nothing outside the static folder."""
    path = (STATIC / asset).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
        raise NotFound(f"No static file '{asset}'.")
    return _file(path)
