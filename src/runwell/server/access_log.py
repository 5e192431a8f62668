"""One structured line per request: method, path, status, duration in milliseconds.

A pure-ASGI layer (nothing re-buffered); the logger is ``runwell.server.access`` at INFO, so
``--log-level warning`` silences it without touching the error log.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("runwell.server.access")


def _path(scope: Scope) -> str:
    """The path as sent (still percent-encoded), so a decoded newline cannot forge a line."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else repr(scope["path"])


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            logger.info(
                "method=%s path=%s status=%d duration_ms=%.1f",
                scope["method"],
                _path(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )
