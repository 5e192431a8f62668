"""Rendering the UI's pages: one Jinja2 environment (autoescaped), the filters the templates
share, the page headers (CSP, CSRF cookie) and HTML error pages.

Descriptions are Markdown rendered here (``render_markdown``), the one place HTML is made
from stored text. A page handler returns ``page(request, "run.html", title=..., **context)``;
the ``html_page`` decorator turns a RunwellError it raises (an unknown run, a bad filter)
into the error page with the error's status, so a person reading it sees what went wrong.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from runwell._version import __version__
from runwell.errors import RunwellError
from runwell.server.ui import assets, csrf

TEMPLATES = Path(__file__).parent / "templates"
# Scripts only from this server; styles inline too (Plotly sets them); images from data: URIs
# (Plotly's icons); frames only for our sandboxed HTML previews.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)

P = ParamSpec("P")


def ms_time(value: int | None) -> str:
    """Epoch milliseconds as local-looking UTC text; blank for None."""
    if not value:
        return ""
    moment = datetime.datetime.fromtimestamp(value / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(start: int | None, end: int | None) -> str:
    """``1h 2m``, ``3.4s``: the time between two epoch-ms values (blank if unknown)."""
    if not start or not end or end < start:
        return ""
    seconds = (end - start) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {sec}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m"
    return f"{hours // 24}d {hours % 24}h"


def number(value: float | None) -> str:
    """A metric value, short: 6 significant digits, NaN and ±inf spelled out."""
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


# Markdown for descriptions, without raw HTML and without script links: CommonMark
# (markdown-it-py) with ``html`` off, so ``<script>`` or ``<img onerror>`` in a description is
# shown as text; tables and strikethrough on. markdown-it refuses ``javascript:``,
# ``vbscript:``, ``file:`` and non-image ``data:`` link targets; links get
# ``rel="noopener noreferrer"`` on top.
@functools.cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md


def render_markdown(text: str | None) -> str:
    """Safe HTML for ``text`` (empty for None or blank)."""
    if not text or not text.strip():
        return ""
    return str(_renderer().render(text))


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ms_time"] = ms_time
    env.filters["number"] = number
    env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    env.globals["duration"] = duration
    env.globals["version"] = __version__
    return env


def prefix_of(request: Request) -> str:
    prefix: str = getattr(request.app.state, "ui_prefix", "")
    return prefix


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    """The rendered page, with the CSP and the CSRF cookie (csrf.py) it needs."""
    prefix = prefix_of(request)
    token = csrf.cookie_token(request.headers.get("cookie")) or csrf.new_token()
    build = assets.build_id()
    body = (
        environment()
        .get_template(template)
        .render(
            prefix=prefix,
            csrf_token=token,
            asset=lambda name: f"{prefix}/static-files/{build}/{name}",
            plotly=f"{prefix}/static-files/{build}/vendor/{assets.PLOTLY_NAME}",
            request_path=request.url.path,
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.set_cookie(
        csrf.COOKIE, token, path=prefix or "/", samesite="strict", httponly=False, secure=False
    )
    return response


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return page(
        request, "error.html", status=status, status_code=status, title=title, message=message
    )


def html_page(handler: Callable[P, Response]) -> Callable[P, Response]:
    """Render a RunwellError raised by ``handler`` as the error page (first argument: the
    request)."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return handler(*args, **kwargs)
        except RunwellError as exc:
            request = kwargs.get("request", args[0] if args else None)
            assert isinstance(request, Request)
            title = "Not found" if exc.http_status == 404 else "Something went wrong"
            return error_page(request, exc.http_status, title, exc.message)

    return wrapper


def not_found_page(request: Request) -> Response:
    """The HTML 404 for a browser asking for a path nothing serves."""
    return error_page(request, 404, "Page not found", f"Nothing is served at {request.url.path}.")
