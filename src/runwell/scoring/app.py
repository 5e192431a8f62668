"""The pyfunc scoring server as a raw ASGI app: MLflow's routes, a fraction of its overhead.

    app = build_app(runwell.pyfunc.load_model("models:/iris/1"))
    uvicorn.run(app, port=5000)

Routes (reference mlflow-formats.md §4): ``GET /ping`` and ``GET /health`` (200, body ``"\\n"``),
``GET /version``, ``POST /invocations`` (see payloads.py for the bodies) and ``GET /metrics``
(Prometheus text). No framework sits on the request path: a dict lookup picks the route, the
body is read once, orjson decodes and encodes. Parsing, predict and encoding the answer run
in a small thread pool (``threads``), so the event loop answers ``/ping`` and ``/health`` at
once while a large request is parsed or a slow model predicts; a request past the column or
cell limits (limits.py) is refused with 400 before it is parsed into a DataFrame. Only a
small body (INLINE_MAX_VALUES) is parsed on the loop, and a JSON body over a MiB in a decoder
process (decoder.py), since decoding holds the interpreter lock. With ``batch_max_size`` set,
concurrent DataFrame requests are predicted together (batching.py).

A model whose predicts prove quick (INLINE_PREDICT_MAX_CPU_S, eight calls in a row) is then
called on the event loop for those small bodies: for a 1-row sklearn request the hand-off to a
thread and back, and the two threads contending for the GIL, cost more than the predict. The
first predict over the limits sends the model back to the pool. Those inline calls are not
subject to ``timeout_s``, which only a slow predict could exceed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
import logging
import os
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.types import Receive, Scope, Send

from runwell._version import __version__
from runwell.errors import ErrorCode, InvalidArgument, RunwellError
from runwell.scoring import metrics as metrics_text
from runwell.scoring.batching import MicroBatcher, frame_key
from runwell.scoring.decoder import JsonDecoder
from runwell.scoring.errors import ScoringError, error_body
from runwell.scoring.limits import PayloadLimits
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
# Only bodies this small are parsed, and for a quick model predicted, on the loop: anything
# larger can take far longer than the quick calls it follows and would hold up every other
# connection, /ping included. A body with fewer commas than INLINE_MAX_VALUES has fewer
# values than that (bar one per array or object; commas inside strings only overcount), and
# pandas' cost is per column: parsing one is well under a millisecond whatever its shape.
INLINE_MAX_BODY_BYTES = 16 * 1024
INLINE_MAX_VALUES = 64
# Wider frames are predicted alone: batching is for many small requests, and comparing the
# column names of wide frames would cost the event loop time.
BATCH_MAX_COLUMNS = 256

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
        limits: PayloadLimits | None = None,
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
        self.limits = limits or PayloadLimits()
        self.timeout_s = timeout_s
        self._takes_params = _takes_params(model.predict)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="predict")
        self._decoder = JsonDecoder(self.spec, self.limits)
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
        self._decoder.close()

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
            return await _send(send, 200, await self._answer(scope, receive), _JSON)
        except RunwellError as exc:
            if isinstance(exc, ScoringError) and exc.plain_text:
                return await _send(send, exc.http_status, exc.message.encode(), _TEXT)
            return await _send(send, exc.http_status, error_body(exc), _JSON)
        except Exception:
            _log.exception("scoring request failed")
            error = RunwellError("Internal error while scoring the request; see the server log.")
            return await _send(send, 500, error_body(error), _JSON)

    async def _answer(self, scope: Scope, receive: Receive) -> bytes:
        """The 200 body: a small request is parsed (and, for a quick model, predicted) on the
        event loop, anything else in the predict threads, so the loop stays free to answer."""
        # Counted while reading and parsing, so the batcher knows companions are on the way.
        self._arriving += 1
        try:
            body = await self._read_body(scope, receive)
            deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s
            content_type = _header(scope, b"content-type")
            small = _small(body)
            if small:
                parsed, key = self._parse(body, content_type)
            else:
                parse = functools.partial(self._parse_paused, body, content_type)
                parsed, key = await self._by(deadline, self._in_thread(parse))
        finally:
            self._arriving -= 1
        if key is not None:
            predictions = await self._by(deadline, self._batch().submit(parsed.data, key))
            if small:
                return predictions_body(predictions)
            encoded: bytes = await self._in_thread(functools.partial(predictions_body, predictions))
            return encoded
        if small and self._inline and not self._batching(parsed):
            return self._answer_inline(parsed)
        answer: bytes = await self._by(
            deadline, self._in_thread(functools.partial(self._answer_now, parsed))
        )
        self.metrics.observe_predict(1)
        return answer

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

    def _parse(self, body: bytes, content_type: str | None) -> tuple[ParsedRequest, Any]:
        """The decoded request (within the limits) and, when it is to be batched, its key."""
        if self._decoder.takes(body, content_type):
            parsed = self._decoder.parse(body, content_type)
        else:
            parsed = parse_request(body, content_type, self.spec, self.limits)
        key = None
        if self._batching(parsed):
            import pandas as pd

            data = parsed.data
            if isinstance(data, pd.DataFrame) and len(data.columns) <= BATCH_MAX_COLUMNS:
                key = frame_key(data)
        return parsed, key

    def _parse_paused(self, body: bytes, content_type: str | None) -> tuple[ParsedRequest, Any]:
        """``_parse`` in a worker thread, with the cyclic collector paused (_collector_paused)."""
        with _collector_paused():
            return self._parse(body, content_type)

    async def _in_thread(self, job: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    async def _by(self, deadline: float | None, awaitable: Awaitable[Any]) -> Any:
        """``awaitable``'s result; 504 when ``deadline`` (time.monotonic) passes first."""
        if deadline is None:
            return await awaitable
        try:
            return await asyncio.wait_for(awaitable, max(deadline - time.monotonic(), 0.0))
        except asyncio.TimeoutError:
            raise ScoringError(
                "Request processing time exceeded limit",
                ErrorCode.DEADLINE_EXCEEDED,
                status=504,
            ) from None

    def _batching(self, parsed: ParsedRequest) -> bool:
        return self._batch_max_size is not None and not parsed.params and not parsed.unwrapped

    def _answer_inline(self, parsed: ParsedRequest) -> bytes:
        """Predict on the event loop; one slow call sends predicts back to the thread pool."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            predictions = self.predict_now(parsed.data, parsed.params)
        finally:
            if not _quick(wall, cpu):
                self._inline = False
                self._quick_calls = 0
            self.metrics.observe_predict(1)
        return predictions_body(predictions, unwrapped=parsed.unwrapped)

    def _answer_now(self, parsed: ParsedRequest) -> bytes:
        """In a worker thread: predict (timed towards predicting inline), then encode."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            predictions = self.predict_now(parsed.data, parsed.params)
        finally:
            if _quick(wall, cpu):
                self._quick_calls += 1
                if self._quick_calls >= INLINE_AFTER_QUICK_CALLS:
                    self._inline = True
            else:
                self._quick_calls = 0
        return predictions_body(predictions, unwrapped=parsed.unwrapped)

    def _batch(self) -> MicroBatcher:
        if self._batcher is None:
            self._batcher = MicroBatcher(
                lambda frame: self.predict_now(frame, None),
                self._in_thread,
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


_paused = [0, False]  # parses pausing the collector now; whether it was enabled before them
_paused_lock = threading.Lock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a large body is parsed (any thread).

    Decoding builds many containers at once, and every collection triggered meanwhile walks
    the half-built structure: about two thirds of the time orjson spends on a large body,
    all of it holding the GIL, so the event loop could not answer /ping. Parsing makes no
    cycles to collect; the collector resumes when the last parse in progress ends.
    """
    with _paused_lock:
        if _paused[0] == 0:
            _paused[1] = gc.isenabled()
            gc.disable()
        _paused[0] += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused[0] -= 1
            if _paused[0] == 0 and _paused[1]:
                gc.enable()


def _small(body: bytes) -> bool:
    """Whether parsing ``body`` is cheap enough for the event loop, whatever its shape."""
    return len(body) <= INLINE_MAX_BODY_BYTES and body.count(b",") < INLINE_MAX_VALUES


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
    max_columns: int | None = None,
    max_cells: int | None = None,
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
        threads: threads that parse and predict (default: min(4, CPU count)).
        max_columns / max_cells: a request with more columns or cells (rows x columns) is
            refused with 400 (default: RUNWELL_SCORING_MAX_COLUMNS / _CELLS, else 10,000 and
            1,000,000; see runwell.scoring.limits).
    """
    return ScoringApp(
        model,
        max_body_bytes=max_body_bytes,
        batch_max_size=batch_max_size,
        batch_max_latency_ms=batch_max_latency_ms,
        timeout_s=timeout_s,
        threads=threads or min(4, os.cpu_count() or 1),
        limits=PayloadLimits.from_environment(max_columns, max_cells),
    )
