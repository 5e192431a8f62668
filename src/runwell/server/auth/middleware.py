"""The authentication and permission layer: pure ASGI, outside the RPC dispatch, so every
request — dispatched RPCs, FastAPI routes, artifact streams, docs — passes through it.

Per request: find the route's rule (routes.py's ``RouteRules``); a public route passes.
Otherwise identify the caller (401 without credentials; a browser asking for a page is sent
to ``/login`` instead), refuse admin routes to others, then run the rule's checks. A request
signed in by the session cookie is a cookie-carrying request, so the UI's ``CsrfGuard``
(outside this layer) has already demanded its CSRF token when it changes state. Checks
that need the request's fields read the body once, hand it on unchanged, and parse it
exactly as the handler does. A rule with ``author`` (``runs/create``) has the body rewritten
for non-admins so that the run's author is the signed-in user (author.py). A rule with an
after-hook gets the handler's answer before it is sent: creators get MANAGE, searches lose
what the caller may not read.

Only ``create_app(..., auth=...)`` installs this layer: without ``--auth`` nothing here runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runwell.errors import ErrorCode, RunwellError
from runwell.server.auth.access import denied
from runwell.server.auth.author import authored_body, with_content_length
from runwell.server.auth.identity import Identity, unauthenticated
from runwell.server.auth.routes import RouteRules
from runwell.server.auth.rules import Access, After, Rule, Target
from runwell.server.auth.service import AuthService
from runwell.server.auth.throttle import Throttled
from runwell.server.auth.visibility import IDENTITY_KEY
from runwell.server.errors import envelope
from runwell.server.request import MAX_JSON_BODY, request_fields
from runwell.wire.fields import Fields

_FIELD_HOOKS = frozenset({After.RENAME_MODEL, After.FORGET_MODEL})


def identity_of(request: Request) -> Identity | None:
    """The signed-in caller of a request on a server with ``--auth`` (None otherwise)."""
    found: Identity | None = request.scope.get(IDENTITY_KEY)
    return found


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _error(exc: RunwellError) -> Response:
    response = envelope(exc.code, exc.message)
    if exc.code is ErrorCode.UNAUTHENTICATED:
        # Bearer, not Basic: a Basic challenge makes browsers pop up their own dialog.
        response.headers["WWW-Authenticate"] = 'Bearer realm="runwell"'
    if isinstance(exc, Throttled):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _replay(body: bytes, then: Receive | None = None) -> Receive:
    """A receive that hands out ``body`` (already read) once, then waits on ``then`` (the
    connection's own receive: it reports the real disconnect). A streamed response listens
    for the disconnect while it sends, so answering "disconnected" at once would cut every
    download short."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            if then is not None:
                return await then()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _client_host(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RunwellError(
                f"Request body is larger than {limit // (1024 * 1024)} MiB.", ErrorCode.BAD_REQUEST
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def ui_fields(scope: Scope, rule: Rule, params: dict[str, Any]) -> Fields:
    """The checked fields of a web UI request, read as server/ui/queries.py reads them: a
    list repeated or comma-separated (blanks dropped), a value as Starlette's ``get`` gives it
    (the last one), stripped. The same QueryParams class parses both sides."""
    query = QueryParams(scope.get("query_string", b""))
    values: dict[str, Any] = {}
    for check in rule.checks:
        if check.target in (Target.EXPERIMENTS, Target.RUNS):
            parts = [p.strip() for v in query.getlist(check.field) for p in v.split(",")]
            values[check.field] = list(dict.fromkeys(p for p in parts if p))
        elif check.field in query:
            values[check.field] = query[check.field].strip()
    values.update(params)
    return Fields(values)


class AuthMiddleware:
    """See the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: RouteRules,
        service: AuthService,
        prefix: str = "",
        max_body: int = MAX_JSON_BODY,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.routes = routes
        self.service = service
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        found = self.routes.match(method, scope["path"])
        if found is not None and found.rule is not None and found.rule.access is Access.PUBLIC:
            await self.app(scope, receive, send)
            return
        try:
            identity = await self._identify(scope)
        except RunwellError as exc:
            await self._unauthenticated(scope, receive, send, exc)
            return
        scope[IDENTITY_KEY] = identity
        if found is None:  # no such route: the app answers 404 or 405
            await self.app(scope, receive, send)
            return
        rule = found.rule
        fields: Fields | None = None
        try:
            if rule is None:
                raise denied(
                    f"{method} {found.template} has no permission rule; it is refused "
                    "(see runwell/server/auth/rules.py)."
                )
            user = identity.user
            if rule.access is Access.ADMIN and not user.is_admin:
                raise denied("Only an admin may do this.")
            checked = not user.is_admin and bool(rule.checks or rule.admin_fields)
            if checked and rule.reader == "ui":
                fields = ui_fields(scope, rule, found.params)
            elif (checked and rule.reads_fields) or rule.after in _FIELD_HOOKS:
                body = await _read_body(receive, self.max_body)
                check_scope = {**scope, "path_params": found.params}
                fields = await request_fields(Request(check_scope, _replay(body)))
                if rule.author and not user.is_admin:
                    body = authored_body(body, user.username)
                    scope = with_content_length(scope, len(body))
                receive = _replay(body, receive)
            elif checked:
                fields = Fields(dict(found.params))
            if checked and fields is not None:
                await run_in_threadpool(self.service.authorizer.check, user, rule, fields)
        except RunwellError as exc:
            await _error(exc)(scope, receive, send)
            return
        if rule.after is None:
            await self.app(scope, receive, send)
            return
        await self._with_after(scope, receive, send, identity, rule, fields)

    async def _identify(self, scope: Scope) -> Identity:
        authorization = _header(scope, b"authorization")
        cookie = _header(scope, b"cookie")
        authenticator = self.service.authenticator
        identity = authenticator.cached(authorization, cookie)
        if identity is None:
            identity = await run_in_threadpool(
                authenticator.identify, authorization, cookie, _client_host(scope)
            )
        if identity is None:
            raise unauthenticated(
                "Authentication required: send HTTP Basic credentials or a bearer access "
                "token (MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)."
            )
        return identity

    async def _unauthenticated(
        self, scope: Scope, receive: Receive, send: Send, exc: RunwellError
    ) -> None:
        accept = _header(scope, b"accept") or ""
        if scope["method"] == "GET" and "text/html" in accept:
            target = scope["path"] + (
                "?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""
            )
            location = f"{self.prefix}/login?next={quote(target, safe='')}"
            await RedirectResponse(location, status_code=303)(scope, receive, send)
            return
        await _error(exc)(scope, receive, send)

    async def _with_after(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        identity: Identity,
        rule: Rule,
        fields: Fields | None,
    ) -> None:
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = messages[0] if messages else None
        if start is None or start["type"] != "http.response.start" or start["status"] != 200:
            for message in messages:
                await send(message)
            return
        body = b"".join(m.get("body", b"") for m in messages[1:])
        try:
            changed = await run_in_threadpool(self._after, identity, rule, fields, body)
        except RunwellError as exc:
            await _error(exc)(scope, receive, send)
            return
        if changed is not None:
            body = changed
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            start = {**start, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _after(
        self, identity: Identity, rule: Rule, fields: Fields | None, body: bytes
    ) -> bytes | None:
        try:
            answer: dict[str, Any] = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            return None
        authorizer = self.service.authorizer
        authorizer.after(identity.user, rule, fields, answer)
        if authorizer.filter_answer(identity.user, rule, answer):
            return orjson.dumps(answer) if answer else b"{}"
        return None
