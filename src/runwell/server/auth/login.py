"""Sign-in for the browser: ``GET /login`` (a form), ``POST /login``, ``POST /logout``.

A successful sign-in stores a new session (its SHA-256 only) and sets the
``runwell_session`` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS). A request carrying it
that changes state must also carry the page's CSRF token: the UI's ``CsrfGuard`` checks that
for every cookie-carrying request. ``next`` is followed only when it is a path on this
server, never another site. Every failure reads the same ("Invalid username or password"),
and the sign-in throttle (throttle.py) applies: a held-back attempt is a 429 page with
``Retry-After``.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from runwell.errors import RunwellError
from runwell.server.auth import passwords
from runwell.server.auth.api import service_of
from runwell.server.auth.identity import SESSION_COOKIE, Identity
from runwell.server.auth.service import AuthService
from runwell.server.auth.throttle import Throttled
from runwell.server.request import read_body
from runwell.store.sql.auth import now_ms

router = APIRouter(tags=["sign-in"])
_FORM_LIMIT = 16 * 1024
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · runwell</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;background:#f4f5f7;display:flex;min-height:100vh;
margin:0;align-items:center;justify-content:center}}
form{{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:20rem}}
h1{{font-size:1.3rem;margin:0 0 1rem}} label{{display:block;margin:.8rem 0 .2rem}}
input{{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}}
button{{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem;background:#1f6feb;
color:#fff;border:0;border-radius:4px;cursor:pointer}}
.error{{color:#b42318;margin:.5rem 0 0}}
</style></head>
<body><form method="post" action="{action}">
<h1>Sign in to runwell</h1>{error}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form></body></html>
"""


def safe_next(raw: str | None, fallback: str) -> str:
    """A redirect target on this server: a path, not ``//host``, ``/\\host`` or a URL."""
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return fallback
    if any(ord(c) < 0x21 or c == "\\" for c in raw):
        return fallback
    return raw


def _prefix(request: Request) -> str:
    prefix: str = getattr(request.app.state, "runwell_prefix", "")
    return prefix


def _page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    shown = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = _PAGE.format(
        action=html.escape(_prefix(request) + "/login"),
        error=shown,
        next=html.escape(next_path),
    )
    return HTMLResponse(body, status_code=status, headers=_PAGE_HEADERS)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(request: Request) -> Response:
    home = _prefix(request) + "/"
    return _page(request, safe_next(request.query_params.get("next"), home))


async def _form(request: Request) -> dict[str, str]:
    body = await read_body(request, _FORM_LIMIT)
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items() if values}


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.lower() == "https"


def _sign_in(service: AuthService, username: str, password: str, address: str | None) -> str:
    user = service.authenticator.check_password(username, password, address)
    session = passwords.new_session_id()
    expires = now_ms() + service.session_ttl_ms
    service.store.create_session(user.id, passwords.digest(session), expires)
    return session


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
async def login(request: Request) -> Response:
    form = await _form(request)
    home = _prefix(request) + "/"
    next_path = safe_next(form.get("next"), home)
    service = service_of(request)
    address = request.client.host if request.client else None
    try:
        session = await run_in_threadpool(
            _sign_in, service, form.get("username", ""), form.get("password", ""), address
        )
    except Throttled as exc:
        page = _page(request, next_path, exc.message, status=exc.http_status)
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    except RunwellError as exc:
        return _page(request, next_path, exc.message, status=401)
    response = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
    max_age = service.session_ttl_ms // 1000
    path = _prefix(request) or "/"
    secure = _secure(request)
    response.set_cookie(
        SESSION_COOKIE, session, max_age=max_age, path=path, httponly=True,
        samesite="lax", secure=secure,
    )  # fmt: skip
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """End the session this request signed in with, then back to the sign-in page."""
    service = service_of(request)
    identity: Identity = request.scope["runwell.identity"]
    if identity.session_id is not None:
        await run_in_threadpool(service.store.delete_session, passwords.digest(identity.session_id))
    service.authenticator.forget(identity.user.id)
    response = RedirectResponse(_prefix(request) + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_prefix(request) or "/")
    return response
