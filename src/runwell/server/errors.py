"""The one exception handler: every failure becomes MLflow's error envelope.

- ``RunwellError`` -> ``{"error_code", "message"}`` with the code's HTTP status.
- FastAPI's ``RequestValidationError`` (typed parameters, bad JSON) -> 400
  ``INVALID_PARAMETER_VALUE``: a client mistake must never read as a 5xx, or MLflow's client
  retries it for minutes (reference/mlflow-rest-api.md §1.4).
- Starlette's ``HTTPException``: 404 -> ``ENDPOINT_NOT_FOUND`` (the client's cue for
  fallbacks), 405 -> the envelope with ``Allow``, others by status.
- A client that hung up mid-request -> 499 ``CANCELLED``, not logged as an error.
- Anything else -> logged with its traceback, 500 ``INTERNAL_ERROR`` with a generic message.

``error_response`` is registered for the first three; ``UnexpectedErrorMiddleware`` sends the
rest through it, inside the security middleware so the response still gets its headers.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runwell.errors import ErrorCode, RunwellError
from runwell.server.responses import encode, json_response
from runwell.wire.errors import error_to_json

logger = logging.getLogger("runwell.server")

_CODE_BY_STATUS = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.ENDPOINT_NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    409: ErrorCode.RESOURCE_CONFLICT,
    413: ErrorCode.BAD_REQUEST,
    429: ErrorCode.REQUEST_LIMIT_EXCEEDED,
    501: ErrorCode.NOT_IMPLEMENTED,
    503: ErrorCode.TEMPORARILY_UNAVAILABLE,
}


def envelope(code: ErrorCode, message: str, status: int | None = None, **headers: str) -> Response:
    body = encode(error_to_json(RunwellError(message, code)))
    return json_response(body, status or code.http_status, headers or None)


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"'{location or 'body'}': {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(problems) + "."


def _browser_navigation(request: Request) -> bool:
    """A person's browser opening a page (the web UI's HTML 404), not an API client."""
    path = request.url.path
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and ("/api/" not in path and "/ajax-api/" not in path)
    )


def _http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    html_page = getattr(request.app.state, "not_found_page", None)
    if status == 404 and html_page is not None and _browser_navigation(request):
        response: Response = html_page(request)
        return response
    if status == 404:
        return envelope(
            ErrorCode.ENDPOINT_NOT_FOUND,
            f"No endpoint at {request.method} {request.url.path}.",
        )
    if status == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return envelope(
            ErrorCode.BAD_REQUEST,
            f"Method {request.method} is not allowed for {request.url.path}"
            + (f"; allowed: {allowed}." if allowed else "."),
            405,
            **({"Allow": allowed} if allowed else {}),
        )
    code = _CODE_BY_STATUS.get(status, ErrorCode.BAD_REQUEST if status < 500 else None)
    if code is None:
        code = ErrorCode.INTERNAL_ERROR
    return envelope(code, str(exc.detail), status)


async def error_response(request: Request, exc: Exception) -> Response:
    """The response for any exception a request raised (the table in the module docstring)."""
    if isinstance(exc, RunwellError):
        if exc.http_status >= 500:
            logger.warning("%s %s: %s", request.method, request.url.path, exc.message)
        return envelope(exc.code, exc.message)
    if isinstance(exc, RequestValidationError):
        return envelope(ErrorCode.INVALID_PARAMETER_VALUE, _validation_message(exc))
    if isinstance(exc, HTTPException):
        return _http_error(request, exc)
    if isinstance(exc, ClientDisconnect):
        # Nobody is left to read the answer; nothing went wrong on our side.
        return envelope(ErrorCode.CANCELLED, "The client disconnected.")
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope(ErrorCode.INTERNAL_ERROR, "Internal server error; see the server log.")


HANDLED: tuple[type[Exception], ...] = (RunwellError, RequestValidationError, HTTPException)


class UnexpectedErrorMiddleware:
    """Answers exceptions no registered handler took, through ``error_response``.

    Once a response has started (a stream failing halfway), nothing can be sent: the error
    is logged and re-raised so the server drops the connection instead of ending the body
    cleanly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                logger.error("Error after the response started on %s", scope["path"], exc_info=exc)
                raise
            response = await error_response(Request(scope), exc)
            await response(scope, receive, send)


def register(app: FastAPI) -> None:
    """Install ``error_response`` for the exception types FastAPI routes raise."""
    for kind in HANDLED:
        app.add_exception_handler(kind, error_response)
    app.add_middleware(UnexpectedErrorMiddleware)
