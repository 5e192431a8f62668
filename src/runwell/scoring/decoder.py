"""Large JSON bodies are decoded in a process of their own, so ``/ping`` never waits on them.

orjson holds Python's interpreter lock for the whole of a decode, about 20 ms per MiB of
small numbers with the collector paused: a hostile 64 MiB body held the scoring server for
over a second, and ``/ping`` with it, however many threads it had (issue 19, item 6). So a
JSON body over ``OFFLOAD_BYTES`` is decoded, checked against the limits and turned into the
model's input in a decoder process; what comes back is at most ``max_cells`` values, mostly
numpy arrays, which unpickle at the speed of a copy. Below that size the decode costs the
event loop less than the round trip to another process would.

The processes (two at most) are started by the first large body (spawned, so no thread state
is copied) and kept; a decoder that dies (the kernel ended it for memory) is replaced at the
next request, and the request it was decoding is refused with 413.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from runwell.errors import ErrorCode, RunwellError
from runwell.scoring.errors import ScoringError
from runwell.scoring.limits import PayloadLimits
from runwell.scoring.payloads import (
    CONTENT_TYPE_JSON,
    InputSpec,
    ParsedRequest,
    media_type,
    parse_request,
)

OFFLOAD_BYTES = 1024 * 1024

# The decoder process's model description and limits (set once, by _install).
_spec: InputSpec | None = None
_limits: PayloadLimits | None = None


def _install(spec: InputSpec, limits: PayloadLimits) -> None:
    global _spec, _limits
    _spec, _limits = spec, limits


def _decode(body: bytes, content_type: str | None) -> tuple[str, Any]:
    """In the decoder process: ("ok", ParsedRequest) or ("refused", the error's parts)."""
    assert _spec is not None and _limits is not None
    try:
        parsed = parse_request(body, content_type, _spec, _limits)
        if parsed.unwrapped or _spec.inputs_passthrough:
            # Raw JSON goes to the model as it is: bound what comes back all the same.
            _limits.check(0, _leaves(parsed.data, _limits.max_cells))
    except RunwellError as exc:
        plain = isinstance(exc, ScoringError) and exc.plain_text
        return "refused", (exc.message, exc.code.name, exc.http_status, plain)
    except MemoryError:
        return "refused", (_TOO_BIG, ErrorCode.RESOURCE_EXHAUSTED.name, 413, False)
    return "ok", parsed


def _leaves(value: Any, limit: int) -> int:
    """The scalar values in a decoded JSON value, counted up to just past ``limit``."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            count += 1
    return count


_TOO_BIG = "The request is too large to decode on this server: send it in smaller parts."


class JsonDecoder:
    """The decoder process of one scoring app (see the module docstring)."""

    def __init__(self, spec: InputSpec, limits: PayloadLimits) -> None:
        self._spec = spec
        self._limits = limits
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @staticmethod
    def takes(body: bytes, content_type: str | None) -> bool:
        """Whether ``body`` is decoded in the decoder process."""
        return len(body) > OFFLOAD_BYTES and media_type(content_type) == CONTENT_TYPE_JSON

    def parse(self, body: bytes, content_type: str | None) -> ParsedRequest:
        """``parse_request`` in the decoder process (call from a worker thread: it waits)."""
        pool = self._started()
        try:
            outcome, value = pool.submit(_decode, body, content_type).result()
        except BrokenProcessPool:
            self._forget(pool)
            raise ScoringError(_TOO_BIG, ErrorCode.RESOURCE_EXHAUSTED, status=413) from None
        if outcome == "refused":
            message, code, status, plain = value
            raise ScoringError(message, ErrorCode[code], status=status, plain_text=plain)
        parsed: ParsedRequest = value
        return parsed

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _started(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=min(2, os.cpu_count() or 1),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_install,
                    initargs=(self._spec, self._limits),
                )
            return self._pool

    def _forget(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
