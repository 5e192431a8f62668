"""The pyfunc scoring server as a raw ASGI app: MLflow's routes, a fraction of its overhead.

    app = build_app(runwell.pyfunc.load_model("models:/iris/1"))
    uvicorn.run(app, port=5000)

Routes (reference mlflow-formats.md §4): ``GET /ping`` and ``GET /health`` (200, body ``"\\n"``),
``GET /version``, ``POST /invocations`` (see payloads.py for the bodies) and ``GET /metrics``
(Prometheus text). No framework sits on the request path: a dict lookup picks the route, the
body is read once, orjson decodes and encodes, and predict runs in a small thread pool so the
event loop keeps accepting connections. With ``batch_max_size`` set, concurrent DataFrame
requests are predicted together (batching.py).

A model whose predicts prove quick (INLINE_PREDICT_MAX_CPU_S, eight calls in a row) is then
called on the event loop for small bodies: for a 1-row sklearn request the hand-off to a thread
and back, and the two threads contending for the GIL, cost more than the predict. The first
predict over the limits sends the model back to the pool. Those inline calls are not subject to
``timeout_s``, which only a slow predict could exceed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.types import Receive, Scope, Send

from runwell._version import __version__
from runwell.errors import ErrorCode, InvalidArgument, RunwellError
from runwell.scoring import metrics as metrics_text
from runwell.scoring.batching import MicroBatcher
from runwell.scoring.errors import ScoringError, error_body
from runwell.scoring.metrics import ScoringMetrics
from runwell.scoring.payloads import InputSpec, ParsedRequest, input_spec, parse_request
from runwell.scoring.responses import predictions_body

_log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_BATCH_MAX_LATENCY_MS = 2.0
# A predict this quick runs on the event loop: handing it to a thread and back costs more CPU
# than the call, and the two threads then contend for the GIL, which is what stretches p99.
# "Quick" is CPU time (waiting for the GIL or a core does not count, so a busy machine does not
# hide a cheap model) and, so that a model blocked on I/O never holds up the loop, wall time.
INLINE_PREDICT_MAX_CPU_S = 0.005
INLINE_PREDICT_MAX_WALL_S = 0.05
# Consecutive quick predicts (timed in the worker thread) before predicts move to the loop.
INLINE_AFTER_QUICK_CALLS = 8
# Only bodies this small are predicted on the loop: a large one can take far longer than the
# quick calls it follows, and would hold up every other connection meanwhile.
INLINE_MAX_BODY_BYTES = 64 * 1024

_JSON = b"application/json"
_TEXT = b"text/plain; charset=utf-8"
_ROUTES = {"/ping": "GET", "/health": "GET", "/version": "GET", "/metrics": "GET"}
_ROUTES["/invocations"] = "POST"


def _input_spec(model: Any) -> InputSpec:
    """What parsing needs from the model's metadata, read once (duck-typed, as MLflow does)."""
    metadata = getattr(model, "metadata", None)
    schema = None
    param_names: frozenset[str] = frozenset()
    passthrough = False
    if metadata is not None:
        get_input_schema = getattr(metadata, "get_input_schema", None)
        schema = get_input_schema() if get_input_schema is not None else None
        get_params_schema = getattr(metadata, "get_params_schema", None)
        params_schema = get_params_schema() if get_params_schema is not None else None
        if params_schema is not None:
            param_names = frozenset(p.name for p in getattr(params_schema, "params", ()))
        from_hints = getattr(metadata, "_is_signature_from_type_hint", None)
        passthrough = bool(from_hints()) if callable(from_hints) else False
    return input_spec(schema, param_names, passthrough)


def _takes_params(predict: Callable[..., Any]) -> bool:
    try:
        return "params" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return True


class ScoringApp:
    """ASGI callable serving one model; build it with ``build_app``."""

    def __init__(
        self,
        model: Any,
        *,
        max_body_bytes: int,
        batch_max_size: int | None,
        batch_max_latency_ms: float,
        timeout_s: float | None,
        threads: int,
    ) -> None:
        if max_body_bytes <= 0:
            raise InvalidArgument(f"max_body_bytes must be positive, got {max_body_bytes}")
        if batch_max_size is not None and batch_max_size < 1:
            raise InvalidArgument(f"batch_max_size must be >= 1 or None, got {batch_max_size}")
        if batch_max_latency_ms < 0:
            raise InvalidArgument(f"batch_max_latency_ms must be >= 0, got {batch_max_latency_ms}")
        self.model = model
        self.spec = _input_spec(model)
        self.metrics = ScoringMetrics()
        self.max_body_bytes = max_body_bytes
        self.timeout_s = timeout_s
        self._takes_params = _takes_params(model.predict)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="predict")
        self._arriving = 0  # /invocations requests still being read or parsed
        self._batch_max_size = batch_max_size
        self._batch_max_latency_s = batch_max_latency_ms / 1000.0
        self._batcher: MicroBatcher | None = None
        self._inline = False  # predict on the event loop (see INLINE_PREDICT_MAX_S)
        self._quick_calls = 0

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Stop the batcher and the predict threads (uvicorn's lifespan shutdown calls this)."""
        if self._batcher is not None:
            self._batcher.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path: str = scope["path"]
        method = _ROUTES.get(path)
        if method is None:
            status = await _send(send, 404, b'{"detail":"Not Found"}', _JSON)
            path = "other"
        elif scope["method"] != method and not (method == "GET" and scope["method"] == "HEAD"):
            status = await _send(
                send, 405, b'{"detail":"Method Not Allowed"}', _JSON, allow=method.encode()
            )
        elif path == "/invocations":
            status = await self._invocations(scope, receive, send)
        elif path == "/metrics":
            body = self.metrics.render()
            status = await _send(send, 200, body, metrics_text.CONTENT_TYPE.encode())
        elif path == "/version":
            status = await _send(send, 200, __version__.encode(), _JSON)
        else:  # /ping, /health: the model is loaded, or this app would not exist
            status = await _send(send, 200, b"\n", _JSON)
        self.metrics.observe_request(path, status, time.perf_counter() - started)

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> int:
        try:
            parsed, size = await self._parse(scope, receive)
            if self._inline and size <= INLINE_MAX_BODY_BYTES and not self._batching(parsed):
                predictions = self._predict_inline(parsed)
            else:
                predictions = await self._predict_within_timeout(parsed)
            return await _send(
                send, 200, predictions_body(predictions, unwrapped=parsed.unwrapped), _JSON
            )
        except RunwellError as exc:
            if isinstance(exc, ScoringError) and exc.plain_text:
                return await _send(send, exc.http_status, exc.message.encode(), _TEXT)
            return await _send(send, exc.http_status, error_body(exc), _JSON)
        except Exception:
            _log.exception("scoring request failed")
            error = RunwellError("Internal error while scoring the request; see the server log.")
            return await _send(send, 500, error_body(error), _JSON)

    async def _parse(self, scope: Scope, receive: Receive) -> tuple[ParsedRequest, int]:
        """The decoded request and the size of its body."""
        # Counted while reading and parsing, so the batcher knows companions are on the way.
        self._arriving += 1
        try:
            body = await self._read_body(scope, receive)
            return parse_request(body, _header(scope, b"content-type"), self.spec), len(body)
        finally:
            self._arriving -= 1

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ScoringError("The client disconnected before sending the whole body.")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise _too_large(size, limit)
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    # -- prediction ---------------------------------------------------------------------------

    async def _predict_within_timeout(self, parsed: ParsedRequest) -> Any:
        if self.timeout_s is None:
            return await self._predict(parsed)
        try:
            return await asyncio.wait_for(self._predict(parsed), self.timeout_s)
        except asyncio.TimeoutError:
            raise ScoringError(
                "Request processing time exceeded limit",
                ErrorCode.DEADLINE_EXCEEDED,
                status=504,
            ) from None

    def _batching(self, parsed: ParsedRequest) -> bool:
        return self._batch_max_size is not None and not parsed.params and not parsed.unwrapped

    def _predict_inline(self, parsed: ParsedRequest) -> Any:
        """Predict on the event loop; one slow call sends predicts back to the thread pool."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return self.predict_now(parsed.data, parsed.params)
        finally:
            if not _quick(wall, cpu):
                self._inline = False
                self._quick_calls = 0
            self.metrics.observe_predict(1)

    async def _predict(self, parsed: ParsedRequest) -> Any:
        if self._batching(parsed):
            import pandas as pd

            if isinstance(parsed.data, pd.DataFrame):
                return await self._batch().submit(parsed.data)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self._executor, self._predict_timed, parsed.data, parsed.params
        )
        self.metrics.observe_predict(1)
        return result

    def _predict_timed(self, data: Any, params: dict[str, Any] | None) -> Any:
        """predict_now in the worker thread, counting quick calls towards predicting inline."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return self.predict_now(data, params)
        finally:
            if _quick(wall, cpu):
                self._quick_calls += 1
                if self._quick_calls >= INLINE_AFTER_QUICK_CALLS:
                    self._inline = True
            else:
                self._quick_calls = 0

    def _batch(self) -> MicroBatcher:
        if self._batcher is None:
            loop = asyncio.get_running_loop()
            self._batcher = MicroBatcher(
                lambda frame: self.predict_now(frame, None),
                lambda fn: loop.run_in_executor(self._executor, fn),
                lambda: self._arriving,
                max_size=self._batch_max_size or 1,
                max_latency_s=self._batch_max_latency_s,
                on_predict=self.metrics.observe_predict,
            )
        return self._batcher

    def predict_now(self, data: Any, params: dict[str, Any] | None) -> Any:
        """Call the model (in the worker thread), turning its failures into scoring errors."""
        try:
            if self._takes_params:
                return self.model.predict(data, params=params)
            if params:
                _log.warning("ignoring params %s: this model's predict takes none", list(params))
            return self.model.predict(data)
        except RunwellError:
            raise  # schema enforcement and friends: the model's own code and message
        except Exception as exc:
            raise ScoringError(
                "Encountered an unexpected error while evaluating the model. Verify that the "
                "serialized input Dataframe is compatible with the model for inference. "
                f"Error: {exc!r}",
                ErrorCode.BAD_REQUEST,
                stack_trace=traceback.format_exc(),
            ) from exc


def _quick(wall_started: float, cpu_started: float) -> bool:
    """Whether the predict that began at these clock readings counts as quick (this thread)."""
    return (
        time.thread_time() - cpu_started <= INLINE_PREDICT_MAX_CPU_S
        and time.perf_counter() - wall_started <= INLINE_PREDICT_MAX_WALL_S
    )


def _too_large(size: int, limit: int) -> ScoringError:
    return ScoringError(
        f"The request body is {size} bytes or more; this server accepts at most {limit} bytes "
        "(raise the limit with max_body_bytes / --max-body-bytes).",
        ErrorCode.RESOURCE_EXHAUSTED,
        status=413,
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _send(
    send: Send, status: int, body: bytes, content_type: bytes, *, allow: bytes | None = None
) -> int:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status


def build_app(
    model: Any,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    batch_max_size: int | None = None,
    batch_max_latency_ms: float = DEFAULT_BATCH_MAX_LATENCY_MS,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    threads: int | None = None,
) -> ScoringApp:
    """The scoring ASGI app for ``model`` (anything with ``predict`` and ``metadata``).

    Args:
        model: a PyFuncModel, or any object with ``predict(data, params=None)`` and
            ``metadata.get_input_schema()``.
        max_body_bytes: larger request bodies are refused with 413.
        batch_max_size: when set, concurrent DataFrame requests (without params) are predicted
            together, at most this many per call.
        batch_max_latency_ms: the longest a request waits for companions while others are
            still arriving.
        timeout_s: a request not answered in this time gets 504 (MLflow's default is 60 s).
        threads: predict threads (default: min(4, CPU count)).
    """
    return ScoringApp(
        model,
        max_body_bytes=max_body_bytes,
        batch_max_size=batch_max_size,
        batch_max_latency_ms=batch_max_latency_ms,
        timeout_s=timeout_s,
        threads=threads or min(4, os.cpu_count() or 1),
    )
