"""Adaptive micro-batching: concurrent DataFrame requests share one ``predict`` call.

Requests queue on the event loop; one dispatcher takes every queued request whose frame has the
same columns and dtypes (up to ``max_size``), concatenates them, predicts once in the worker
thread and slices the result back by row counts. It waits up to ``max_latency_s`` for
companions only while other requests are still being read or parsed, so a lone client pays no
added latency (the "adaptive" part): under load, batches form from what queued during the
previous predict.

Only bookkeeping runs on the loop: the concatenation, predict and slicing run in the worker
thread, and the scoring app computes each frame's key where it parsed the frame (and batches
no frame wider than its BATCH_MAX_COLUMNS).

Only results that map rows 1:1 (ndarray, DataFrame, Series or list with one entry per input
row) are split; anything else, or a batch whose predict raised, is predicted request by request,
so one bad request never fails its neighbours.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Predict = Callable[[Any], Any]


@dataclass(slots=True)
class _Item:
    frame: Any
    key: tuple[Any, ...]
    future: asyncio.Future[Any]
    arrived: float = field(default_factory=time.monotonic)


def frame_key(frame: Any) -> tuple[Any, ...]:
    """Frames with equal keys concatenate without changing any column's type."""
    return (tuple(frame.columns), tuple(str(dtype) for dtype in frame.dtypes))


class MicroBatcher:
    """Groups concurrent ``submit`` calls into batched predict calls run by ``run_in_thread``.

    Args:
        predict: ``predict(frame)`` run in the worker thread; raises on failure.
        run_in_thread: awaits a callable off the event loop.
        waiting_requests: how many requests are inside the server but not yet queued here.
        max_size: most requests per predict call.
        max_latency_s: longest time the first request of a batch waits for companions.
        on_predict: called with the number of requests each predict call served.
    """

    def __init__(
        self,
        predict: Predict,
        run_in_thread: Callable[[Callable[[], Any]], Any],
        waiting_requests: Callable[[], int],
        *,
        max_size: int,
        max_latency_s: float,
        on_predict: Callable[[int], None] = lambda n: None,
    ) -> None:
        self._predict = predict
        self._run_in_thread = run_in_thread
        self._waiting = waiting_requests
        self._max_size = max_size
        self._max_latency_s = max_latency_s
        self._on_predict = on_predict
        self._queue: deque[_Item] = deque()
        self._arrival = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, frame: Any, key: tuple[Any, ...] | None = None) -> Any:
        """The predictions for ``frame`` (same type the model returns, sliced to its rows).

        ``key`` is ``frame_key(frame)`` when the caller computed it already (off the event
        loop: it walks every column).
        """
        loop = asyncio.get_running_loop()
        item = _Item(frame, key if key is not None else frame_key(frame), loop.create_future())
        self._queue.append(item)
        self._arrival.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._dispatch())
        return await item.future

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _dispatch(self) -> None:
        while self._queue:
            first = self._queue[0]
            deadline = first.arrived + self._max_latency_s
            while (
                self._count(first.key) < self._max_size
                and self._waiting() > 0
                and (remaining := deadline - time.monotonic()) > 0
            ):
                self._arrival.clear()
                try:
                    await asyncio.wait_for(self._arrival.wait(), remaining)
                except asyncio.TimeoutError:
                    break
            batch = self._take(first.key)
            try:
                results, calls = await self._run_in_thread(functools.partial(self._run, batch))
            except BaseException as exc:  # cancelled or the executor is gone
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for served in calls:
                self._on_predict(served)
            for item, (ok, value) in zip(batch, results, strict=True):
                if item.future.done():
                    continue  # the request timed out or its client went away
                if ok:
                    item.future.set_result(value)
                else:
                    item.future.set_exception(value)

    def _count(self, key: tuple[Any, ...]) -> int:
        return sum(1 for item in self._queue if item.key == key)

    def _take(self, key: tuple[Any, ...]) -> list[_Item]:
        batch: list[_Item] = []
        rest: deque[_Item] = deque()
        while self._queue:
            item = self._queue.popleft()
            if item.key == key and len(batch) < self._max_size and not item.future.done():
                batch.append(item)
            elif not item.future.done():
                rest.append(item)
        self._queue = rest
        return batch

    def _run(self, batch: list[_Item]) -> tuple[list[tuple[bool, Any]], list[int]]:
        """In the worker thread: one predict for the batch, or one per request as fallback.

        Returns each request's ``(ok, predictions or exception)`` and the number of requests
        each predict call served (metrics are counted back on the event loop).
        """
        calls: list[int] = []
        if len(batch) > 1:
            import pandas as pd

            sizes = [len(item.frame) for item in batch]
            try:
                predictions = self._predict(pd.concat([item.frame for item in batch]))
            except Exception:
                predictions = None
            else:
                calls.append(len(batch))
                parts = _split(predictions, sizes)
                if parts is not None:
                    return [(True, part) for part in parts], calls
        results: list[tuple[bool, Any]] = []
        for item in batch:
            try:
                results.append((True, self._predict(item.frame)))
            except Exception as exc:
                results.append((False, exc))
            calls.append(1)
        return results, calls


def _split(predictions: Any, sizes: list[int]) -> list[Any] | None:
    """Slices of ``predictions`` per request, or None when rows do not map 1:1."""
    import numpy as np
    import pandas as pd

    total = sum(sizes)
    if isinstance(predictions, (pd.DataFrame, pd.Series)):
        if len(predictions) != total:
            return None
        take: Callable[[int, int], Any] = lambda a, b: predictions.iloc[a:b]  # noqa: E731
    elif isinstance(predictions, np.ndarray):
        if predictions.ndim == 0 or predictions.shape[0] != total:
            return None
        take = lambda a, b: predictions[a:b]  # noqa: E731
    elif isinstance(predictions, list):
        if len(predictions) != total:
            return None
        take = lambda a, b: predictions[a:b]  # noqa: E731
    else:
        return None
    parts = []
    start = 0
    for size in sizes:
        parts.append(take(start, start + size))
        start += size
    return parts
