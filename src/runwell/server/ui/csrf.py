"""CSRF protection for the web UI: a double-submit token, checked where a browser would attach
ambient credentials.

Every page sets a random ``runwell_csrf`` cookie (SameSite=Strict) and repeats its value in a
``<meta>`` tag; the UI's scripts send it back as ``X-Runwell-CSRF`` on every state-changing
request. ``CsrfGuard`` refuses a state-changing request (not GET/HEAD/OPTIONS) with 403 when
it carries ambient credentials (cookies; or an Authorization header a browser attached to a
request it marked ``Sec-Fetch-Site``) without the matching token, unless the browser says it
came from this origin (``Sec-Fetch-Site: same-origin``). Programmatic clients (MLflow's, ours,
curl) send no cookies and pass untouched; a page elsewhere can neither read the cookie nor
have its requests pass as same-origin. SecurityMiddleware's Origin check runs first.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from runwell.errors import ErrorCode
from runwell.server.errors import envelope

COOKIE = "runwell_csrf"
HEADER = "x-runwell-csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    return secrets.token_urlsafe(24)


def cookie_token(cookie_header: str | None) -> str | None:
    """The ``runwell_csrf`` value of a Cookie header, if any."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed header from another app on the same host
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _headers(scope: Scope) -> dict[bytes, str]:
    return {key: value.decode("latin-1") for key, value in scope["headers"]}


def allowed(method: str, headers: dict[bytes, str]) -> bool:
    """Whether a request may go on (the rule in the module docstring)."""
    if method in _SAFE_METHODS:
        return True
    site = headers.get(b"sec-fetch-site")
    if site == "same-origin":
        return True
    cookies = headers.get(b"cookie")
    ambient = bool(cookies) or (site is not None and b"authorization" in headers)
    if not ambient:
        return True
    expected = cookie_token(cookies)
    sent = headers.get(HEADER.encode())
    return bool(expected and sent and hmac.compare_digest(expected, sent))


class CsrfGuard:
    """Pure-ASGI layer applying ``allowed`` to every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not allowed(scope["method"], _headers(scope)):
            response = envelope(
                ErrorCode.PERMISSION_DENIED,
                "Cross-site request refused: a request sent with this browser's credentials "
                f"must carry the page's CSRF token in {HEADER}.",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
