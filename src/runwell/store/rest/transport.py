"""HTTP for the REST store and the artifact proxy: one pooled client per server, retried politely.

Every request to one server goes through one ``httpx.Client`` (keep-alive pool, timeouts), so a
training loop pays a TCP handshake once, not per call. Retries follow reference/mlflow-rest-api.md
§1.4, narrowed to what is safe to repeat:

- 429 and 503 (the server refused before doing any work), and failures to connect: retried for
  every call;
- 502 and 504, and a connection that broke after the request was sent: retried only for calls
  that are safe to repeat (reads, upserts, ``log-batch``; not ``runs/create``);
- 400, 404, 500 and every other status: never retried, they are deterministic.

Waits grow exponentially (``backoff_factor * 2**attempt``, at most 30 s, half of it jittered)
and honour ``Retry-After``. Error envelopes become the same ``RunwellError`` subclasses the SQL
store raises (``wire.errors.error_from_response``), so callers can't tell local from remote.

Settings (each with its ``MLFLOW_*`` twin): ``RUNWELL_TRACKING_TOKEN`` (Bearer) or
``RUNWELL_TRACKING_USERNAME`` + ``RUNWELL_TRACKING_PASSWORD`` (Basic, preferred when both are
set), ``RUNWELL_TRACKING_INSECURE_TLS``, ``RUNWELL_TRACKING_SERVER_CERT_PATH``,
``RUNWELL_HTTP_REQUEST_TIMEOUT`` (seconds, default 120), ``RUNWELL_HTTP_REQUEST_MAX_RETRIES``
(default 7), ``RUNWELL_HTTP_REQUEST_BACKOFF_FACTOR`` (seconds, default 0.5).
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
import orjson

from runwell import env
from runwell._version import __version__
from runwell.errors import ErrorCode, InvalidArgument, RunwellError, Unavailable
from runwell.wire.errors import error_from_response

USER_AGENT = f"runwell/{__version__}"
MAX_BACKOFF = 30.0
_ALWAYS_RETRIED = frozenset({429, 503})
_RETRIED_WHEN_SAFE = frozenset({502, 504})
# Never reached the server: as safe to repeat as a 503.
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have been processed: repeated only when repeating is harmless.
_BROKEN_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)

Params = Mapping[str, str | int | list[str]]


def auth_headers() -> dict[str, str]:
    """Authorization from the environment: Basic when user and password are set, else Bearer."""
    user, password = env.get(env.TRACKING_USERNAME), env.get(env.TRACKING_PASSWORD)
    if user and password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
    bearer = env.get(env.TRACKING_TOKEN)
    return {"Authorization": f"Bearer {bearer}"} if bearer else {}


def _verify() -> bool | str:
    if env.flag(env.TRACKING_INSECURE_TLS, False):
        return False
    return env.get(env.TRACKING_SERVER_CERT_PATH) or True


class Transport:
    """Requests to one server (``base_url`` includes any path prefix), with retries.

    ``credentials``: send the tracking credentials of the environment (``auth_headers``);
    only a transport to the tracking server's own origin does (``shared_transport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        credentials: bool = True,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_factor: float | None = None,
    ) -> None:
        parsed = httpx.URL(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidArgument(
                f"Invalid server URL '{base_url}': expected http(s)://host[:port]."
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = env.number(env.HTTP_TIMEOUT, 120.0) if timeout is None else timeout
        retries = env.number(env.HTTP_MAX_RETRIES, 7) if max_retries is None else max_retries
        self.max_retries = max(0, int(retries))
        self.backoff_factor = (
            env.number(env.HTTP_BACKOFF_FACTOR, 0.5) if backoff_factor is None else backoff_factor
        )
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, **(auth_headers() if credentials else {})},
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            verify=_verify(),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    # ---------------------------------------------------------------- JSON calls

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Params | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One JSON request; the decoded JSON object of a success (``{}`` for an empty body)."""
        return decode_object(
            self.call_raw(method, path, body, params=params, idempotent=idempotent)
        )

    def call_raw(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        params: Params | None = None,
        idempotent: bool = True,
    ) -> bytes:
        """One JSON request; the raw body of a success, for callers that decode it themselves."""
        content = None if body is None else orjson.dumps(body)
        headers = None if body is None else {"Content-Type": "application/json"}
        response = self.send(
            method,
            path,
            params=params,
            content=lambda: content,
            headers=headers,
            idempotent=idempotent,
        )
        return response.content

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        content: Callable[[], bytes | Iterable[bytes] | None] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        stream: bool = False,
    ) -> httpx.Response:
        """Send with retries; a 2xx response, else the RunwellError its status stands for.

        ``content`` is a factory so that a retry sends the body again from its start (an
        upload re-opens its file).
        """
        url = self.base_url + path
        attempt = 0
        while True:
            request = self._client.build_request(
                method,
                url,
                params=params,
                content=None if content is None else content(),
                headers=headers,
            )
            try:
                response = self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt < self.max_retries and _retryable_error(exc, idempotent):
                    self._pause(attempt, None)
                    attempt += 1
                    continue
                raise self._transport_failure(exc, method, path) from exc
            status = response.status_code
            if status < 300:
                return response
            if attempt < self.max_retries and (
                status in _ALWAYS_RETRIED or (idempotent and status in _RETRIED_WHEN_SAFE)
            ):
                retry_after = response.headers.get("Retry-After")
                response.close()
                self._pause(attempt, retry_after)
                attempt += 1
                continue
            body = response.read()
            response.close()
            raise error_from_response(status, body)

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        delay = min(MAX_BACKOFF, self.backoff_factor * (2**attempt))
        delay = delay / 2 + random.uniform(0, delay / 2)
        if retry_after is not None and retry_after.strip().isdigit():
            delay = max(delay, min(MAX_BACKOFF, float(retry_after)))
        time.sleep(delay)

    def _transport_failure(self, exc: httpx.TransportError, method: str, path: str) -> RunwellError:
        where = f"{method} {self.base_url}{path}"
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
            return InvalidArgument(f"Cannot send {where}: {exc}.")
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, _CONNECT_ERRORS):
            return RunwellError(
                f"No answer from {where} within {self.timeout:g} s "
                f"(raise {env.HTTP_TIMEOUT} for slow servers).",
                ErrorCode.DEADLINE_EXCEEDED,
            )
        return Unavailable(
            f"Cannot reach the tracking server for {where} after {self.max_retries} retries: "
            f"{exc or type(exc).__name__}. Check the tracking URI and that the server is running."
        )


def _retryable_error(exc: httpx.TransportError, idempotent: bool) -> bool:
    return isinstance(exc, _CONNECT_ERRORS) or (idempotent and isinstance(exc, _BROKEN_ERRORS))


def decode_object(body: bytes) -> dict[str, Any]:
    """A success body as a JSON object: empty (or MLflow's literal ``200 OK``) is ``{}``."""
    if not body or body == b"200 OK":
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise RunwellError(
            f"The server answered with something that is not a JSON object: {body[:200]!r}.",
            ErrorCode.INTERNAL_ERROR,
        )
    return value


# One transport per (server, settings): the tracking store and the artifact repositories of
# its runs share a connection pool.
_transports: dict[tuple[str, ...], Transport] = {}
_lock = threading.Lock()


def shared_transport(base_url: str, *, credentials: bool = True) -> Transport:
    """The transport for ``base_url`` with the current environment's TLS settings, and its
    tracking credentials when ``credentials`` (the tracking server's own origin only)."""
    key = (
        base_url.rstrip("/"),
        str(credentials),
        repr(sorted(auth_headers().items())),
        str(_verify()),
        *(str(env.get(name)) for name in (env.HTTP_TIMEOUT, env.HTTP_MAX_RETRIES)),
        str(env.get(env.HTTP_BACKOFF_FACTOR)),
    )
    with _lock:
        found = _transports.get(key)
        if found is None:
            found = _transports[key] = Transport(base_url, credentials=credentials)
        return found


def close_transports() -> None:
    """Close every shared transport (tests; after fork, pools must not be shared)."""
    with _lock:
        transports = list(_transports.values())
        _transports.clear()
    for transport in transports:
        transport.close()
