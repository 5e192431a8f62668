"""Host-header allow-list, CORS allow-list and security headers, as one pure-ASGI layer.

- **Host allow-list** (DNS-rebinding defence): a request whose ``Host`` matches no allowed
  pattern gets 403, except ``/health`` so load balancers can probe by IP. Patterns are host
  names or addresses (any port), ``host:port``, or ``*`` wildcards (``*.corp.example``,
  ``*`` for any).
- **CORS**: a cross-origin request from an allowed origin gets ``Access-Control-Allow-Origin``;
  preflights are answered here. A cross-origin request from any other origin that could change
  state (not GET/HEAD) is refused with 403 before it reaches a route, so a web page elsewhere
  cannot drive the API through a visitor's browser. Same-origin requests (the UI) pass.
- **Headers** on every response: ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: SAMEORIGIN``.

Written as plain ASGI (not BaseHTTPMiddleware), so bodies stream through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runwell.errors import ErrorCode
from runwell.server.config import DEFAULT_ALLOWED_HOSTS, DEFAULT_CORS_ORIGINS
from runwell.server.errors import envelope

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PREFLIGHT_MAX_AGE = b"600"


def split_host(host: str) -> tuple[str, str | None]:
    """``(hostname, port)`` of a Host header value; IPv6 keeps its brackets."""
    if host.startswith("["):
        end = host.find("]")
        if end != -1:
            rest = host[end + 1 :]
            return host[: end + 1], rest[1:] if rest.startswith(":") else None
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name, port
    return host, None


def _wildcard(pattern: str) -> re.Pattern[str]:
    """``*`` matches any run of characters; everything else literally (``[::1]`` too)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.lower().split("*")))


class HostPatterns:
    """Allowed Host header values: names with any port, ``name:port``, or wildcards."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.any = "*" in patterns
        self._names = [_wildcard(p) for p in patterns if p and not _has_port(p)]
        self._with_port = [_wildcard(p) for p in patterns if p and _has_port(p)]

    def allows(self, host: str | None) -> bool:
        if self.any:
            return True
        if not host:
            return False
        host = host.lower()
        name, _port = split_host(host)
        if any(p.fullmatch(name) for p in self._names):
            return True
        return any(p.fullmatch(host) for p in self._with_port)


def _has_port(pattern: str) -> bool:
    return split_host(pattern)[1] is not None or pattern.endswith(":*")


class OriginPatterns:
    """Allowed CORS origins; ``scheme://host:*`` also matches the origin without a port."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.any = "*" in patterns
        self._patterns = [_wildcard(p.rstrip("/")) for p in patterns if p]
        self._portless = [
            _wildcard(p.rstrip("/")[:-2]) for p in patterns if p.rstrip("/").endswith(":*")
        ]

    def allows(self, origin: str) -> bool:
        if self.any:
            return True
        origin = origin.lower()
        return any(p.fullmatch(origin) for p in self._patterns) or any(
            p.fullmatch(origin) for p in self._portless
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _same_origin(origin: str, host: str | None) -> bool:
    if not host:
        return False
    _scheme, sep, rest = origin.partition("://")
    return bool(sep) and rest.lower() == host.lower()


class SecurityMiddleware:
    """Host check, CORS and security headers for every HTTP request (see module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Sequence[str] = DEFAULT_ALLOWED_HOSTS,
        cors_origins: Sequence[str] = DEFAULT_CORS_ORIGINS,
        exempt_paths: Sequence[str] = ("/health",),
    ) -> None:
        self.app = app
        self.hosts = HostPatterns(allowed_hosts)
        self.origins = OriginPatterns(cors_origins)
        self.exempt = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if not self.hosts.allows(host) and scope["path"] not in self.exempt:
            await self._refuse(
                scope,
                receive,
                send,
                f"Host '{host or ''}' is not allowed; add it with --allowed-hosts.",
            )
            return
        extra: list[tuple[bytes, bytes]] = []
        origin = _header(scope, b"origin")
        if origin is not None and not _same_origin(origin, host):
            allowed = self.origins.allows(origin)
            method = scope["method"]
            if method == "OPTIONS" and _header(scope, b"access-control-request-method"):
                await self._preflight(scope, receive, send, origin, allowed)
                return
            if not allowed and method not in _SAFE_METHODS:
                await self._refuse(
                    scope,
                    receive,
                    send,
                    f"Cross-origin request from '{origin}' is not allowed; "
                    "add the origin with --cors-allowed-origins.",
                )
                return
            if allowed:
                extra = [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"vary", b"Origin"),
                ]
        added = _SECURITY_HEADERS + extra

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, message: str) -> None:
        response = envelope(ErrorCode.PERMISSION_DENIED, message)
        response.headers.update({k.decode(): v.decode() for k, v in _SECURITY_HEADERS})
        await response(scope, receive, send)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, origin: str, allowed: bool
    ) -> None:
        if not allowed:
            await self._refuse(scope, receive, send, f"Origin '{origin}' is not allowed.")
            return
        requested = _header(scope, b"access-control-request-headers") or ""
        headers = [
            *_SECURITY_HEADERS,
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
            (b"access-control-max-age", _PREFLIGHT_MAX_AGE),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        if requested:
            headers.append((b"access-control-allow-headers", requested.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
