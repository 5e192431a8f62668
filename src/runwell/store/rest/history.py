"""Metric histories over REST: pages fetched ahead, decoded in bulk.

A whole history is read in pages of ``HISTORY_PAGE`` points, pipelined: as soon as a page's
bytes arrive, its ``next_page_token`` is read from the end of the body (where MLflow's and
runwell's servers both put it) and the next page is requested, so the server reads and encodes
page k+1 while this process decodes page k. A body whose token is not found there is decoded
first, then followed: the shortcut only ever saves time.

A million-point history arrives as a million small JSON objects; turning each into a ``Metric``
through the dataclass constructor costs more than the download. msgspec decodes the common
shape straight into ``Metric`` objects, in C. A body it refuses is decoded by orjson; points
that still have the common types become metrics field by field with C-level loops (``map``
over slot setters), and anything else (NaN spelled as a string, int64 as a string) falls
back to ``wire.codec.metrics_from_json``, which checks and names every field. The cyclic
garbage collector is paused meanwhile (``gc_pause``).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import repeat
from operator import itemgetter
from typing import Any

import msgspec

from runwell.entities import Metric, Page
from runwell.store.gc_pause import paused_gc
from runwell.store.rest.transport import Transport, decode_object
from runwell.wire import paths
from runwell.wire.codec import metrics_from_json

# Points per request when the caller wants everything: a million-point history in one request
# (measured faster than smaller pipelined pages on two busy cores); longer ones are pipelined.
HISTORY_PAGE = 1_000_000
_TOKEN_KEY = b'"next_page_token"'
_TAIL = 4096

_FIELDS = ("key", "value", "timestamp", "step")
_TYPES = ({str}, {float}, {int}, {int})
_SETTERS = tuple(vars(Metric)[name].__set__ for name in _FIELDS)
_new = object.__new__


def metrics_in_bulk(items: list[Any]) -> list[Metric]:
    """Metrics from decoded JSON points; the all-finite common case without per-point calls."""
    if not items:
        return []
    try:
        columns = [list(map(itemgetter(name), items)) for name in _FIELDS]
    except (KeyError, TypeError, IndexError):
        return metrics_from_json(items)
    for column, types in zip(columns, _TYPES, strict=True):
        if set(map(type, column)) != types:
            return metrics_from_json(items)
    out = list(map(_new, repeat(Metric, len(items))))
    for setter, column in zip(_SETTERS, columns, strict=True):
        # Metric is frozen: its slots are set through the descriptors, once, as __init__ does.
        deque(map(setter, out, column), maxlen=0)
    return out


def _fetch(
    transport: Transport,
    run_id: str,
    metric_key: str,
    max_results: int | None,
    page_token: str | None,
) -> bytes:
    params: dict[str, str | int] = {"run_id": run_id, "run_uuid": run_id, "metric_key": metric_key}
    if max_results is not None:
        params["max_results"] = max_results
    if page_token:
        params["page_token"] = page_token
    return transport.call_raw("GET", paths.api(paths.METRICS_GET_HISTORY), params=params)


class _HistoryBody(msgspec.Struct):
    """The common shape of a history body, decoded by msgspec straight into Metric objects."""

    metrics: list[Metric] = []
    next_page_token: str | None = None


_typed = msgspec.json.Decoder(_HistoryBody)


def _decode(body: bytes) -> Page[Metric]:
    with paused_gc():
        try:
            found = _typed.decode(body)
        except msgspec.DecodeError:  # not the common shape: the paths below say why
            pass
        else:
            return Page(found.metrics, found.next_page_token or None)
        payload = decode_object(body)
        points = payload.get("metrics")
        # A non-list is refused by metrics_from_json with the field's name.
        metrics = metrics_in_bulk(points) if isinstance(points, list) else metrics_from_json(points)
    return Page(metrics, payload.get("next_page_token") or None)


def peek_token(body: bytes) -> str | None:
    """The ``next_page_token`` at the end of a body, without decoding the rest; None if absent."""
    start = body.rfind(_TOKEN_KEY, max(0, len(body) - _TAIL))
    if start < 0:
        return None
    rest = body[start + len(_TOKEN_KEY) :].lstrip()
    if not rest.startswith(b":"):
        return None  # the words inside some other string, not the field
    rest = rest[1:].lstrip()
    closing = rest.find(b'"', 1)
    if not rest.startswith(b'"') or closing < 0 or b"\\" in rest[:closing]:
        return None
    token = rest[1:closing].decode("utf-8", "replace")
    return token or None


def history_page(
    transport: Transport,
    run_id: str,
    metric_key: str,
    max_results: int | None,
    page_token: str | None,
) -> Page[Metric]:
    """One page of ``metrics/get-history``."""
    return _decode(_fetch(transport, run_id, metric_key, max_results, page_token))


def full_history(
    transport: Transport, run_id: str, metric_key: str, page_size: int = HISTORY_PAGE
) -> Page[Metric]:
    """Every point, following the server's page tokens with the next request in flight."""
    body = _fetch(transport, run_id, metric_key, page_size, None)
    ahead = peek_token(body)
    if ahead is None:
        first = _decode(body)
        if first.token is None:
            return first  # one page: the common case of short histories
        body = _fetch(transport, run_id, metric_key, page_size, first.token)
        ahead = peek_token(body)
        points = list(first.items)
    else:
        points = []
    with ThreadPoolExecutor(1, thread_name_prefix="runwell-history") as pool:
        while True:
            future: Future[bytes] | None = None
            if ahead is not None:
                future = pool.submit(_fetch, transport, run_id, metric_key, page_size, ahead)
            page = _decode(body)
            points.extend(page.items)
            if page.token is None:
                return Page(points, None)
            if future is not None and page.token == ahead:
                body = future.result()
            else:  # nothing fetched ahead, or a misread token: follow the decoded one
                body = _fetch(transport, run_id, metric_key, page_size, page.token)
            ahead = peek_token(body)
