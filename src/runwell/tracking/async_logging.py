"""Background batching: ``log_metric``/``log_param``/``set_tag`` queue, one thread delivers.

When it is on
    By default for a tracking server (``http(s)://`` tracking URI), where a request per value
    would cost a round trip; off for local SQL stores, whose writes already commit in
    microseconds. ``RUNWELL_ENABLE_ASYNC_LOGGING=true|false`` (or MLflow's twin) sets the
    default for every store, and ``synchronous=True|False`` on a call overrides it for that
    call (``synchronous=True`` is MLflow's behaviour: the call returns once the server stored
    the value, and raises what it refused).

What the caller pays
    Values are checked in the caller (key rules, numbers, timestamps), so bad input raises at
    once; the call then appends to a deque and returns. No lock is taken unless the delivery
    thread is asleep and must be woken.

How values travel
    The thread takes everything queued, groups it by run and sends ``log-batch`` requests
    within the server's limits (1000 values, at most 100 params and 100 tags each). Params
    and tags keep their order (the last tag of a key wins, as when logged one by one); a
    param logged twice with the same value is sent once. Params go in requests of their own:
    if the server refuses one (a changed value), the others are re-sent one by one, so only
    the refused value is lost, as with synchronous calls.

When values are delivered, and where errors surface
    ``flush()`` (``runwell.flush()``, ``RunwellClient.flush()``) blocks until everything
    queued before it is stored, then raises the first error the server answered since the
    last flush (the rest were delivered). Reads through the fluent API or a client of the
    same store (``get_run``, ``get_metric_history``, ``search_runs``...) and synchronous
    writes flush first, so a script reads its own writes. ``end_run()`` flushes, ends the
    run (FAILED instead of FINISHED when the server refused something) and raises the error.
    At interpreter exit every queue is flushed before the active runs are ended; an error
    there is printed, as an exception in an ``atexit`` handler is. A write refused in the
    background is also re-raised by the next logging call.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from runwell.entities import Metric, Param, RunTag
from runwell.errors import ErrorCode, RunwellError, Unavailable
from runwell.store import validation
from runwell.store.protocols import TrackingStore

# Queued: (run_id, metric) for a single point, (run_id, metrics, params, tags) otherwise, or a
# flush marker (an Event set once everything queued before it is delivered).
_Item = Any


class _RunValues:
    """What one drain of the queue holds for one run, in logging order."""

    __slots__ = ("metrics", "params", "tags")

    def __init__(self) -> None:
        self.metrics: list[Metric] = []
        self.params: list[Param] = []
        self.tags: list[RunTag] = []


class BatchingWriter:
    """Queue of pending writes to one store, delivered by one daemon thread.

    ``linger``: how long the thread, woken by a value after a quiet spell, waits for more
    before it sends (a flush cuts it short). Callers wake the thread only when it sleeps on an
    empty queue, so a busy training loop pays no wake-up per call.
    """

    def __init__(self, store: TrackingStore, linger: float = 0.01) -> None:
        self.store = store
        self.linger = linger
        self._queue: deque[_Item] = deque()
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._idle = False
        self._inflight = False
        self._closed = False
        self._errors: list[RunwellError] = []
        self._errors_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="runwell-batching", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- caller side

    def submit_metric(self, run_id: str, metric: Metric) -> None:
        """Queue one checked metric point (the hot path: an append)."""
        if self._errors:
            self._raise_errors()
        self._queue.append((run_id, metric))
        if self._idle:
            self._idle = False
            self._wake.set()

    def submit(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Queue checked values of one run."""
        if self._errors:
            self._raise_errors()
        self._queue.append((run_id, metrics, params, tags))
        if self._idle:
            self._idle = False
            self._wake.set()

    @property
    def pending(self) -> bool:
        """Whether anything is queued or being delivered (or an error waits to be raised)."""
        # _inflight is set before the queue is drained, so a drained-but-unsent batch shows.
        return bool(self._queue) or self._inflight or bool(self._errors)

    def flush(self) -> None:
        """Block until everything queued so far is delivered; raise what the server refused."""
        if not self.pending:
            return
        if self._closed:  # no thread any more: deliver here
            items = []
            while self._queue:
                item = self._queue.popleft()
                if type(item) is not threading.Event:
                    items.append(item)
            self._deliver(items)
        elif self._queue or self._inflight:
            marker = threading.Event()
            self._queue.append(marker)
            self._hurry.set()
            self._wake.set()
            marker.wait()
        self._raise_errors()

    def close(self) -> None:
        """Deliver what is queued and stop the thread (later flushes deliver in the caller)."""
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(10)

    def _raise_errors(self) -> None:
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    # ---------------------------------------------------------------- delivery thread

    def _loop(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                if self._closed:
                    return
                self._idle = True
                if not queue:  # checked again after announcing idleness: no lost wake-up
                    self._wake.wait()
                self._wake.clear()
                self._idle = False
                # Woken by the first value after a quiet spell: give the caller a moment to
                # add more, so that they travel together.
                if self.linger > 0:
                    self._hurry.wait(self.linger)
                continue
            self._hurry.clear()
            self._inflight = True
            items: list[_Item] = []
            markers: list[threading.Event] = []
            while queue:
                item = queue.popleft()
                if type(item) is threading.Event:
                    markers.append(item)
                else:
                    items.append(item)
            try:
                self._deliver(items)
            except Exception as exc:  # a bug must not kill the thread and hang every flush
                error = RunwellError(
                    f"Background logging failed: {exc!r}", ErrorCode.INTERNAL_ERROR
                )
                error.__cause__ = exc
                self._record(error)
            finally:
                self._inflight = False
                for marker in markers:
                    marker.set()

    def _deliver(self, items: list[_Item]) -> None:
        by_run: dict[str, _RunValues] = {}
        for item in items:
            values = by_run.get(item[0])
            if values is None:
                values = by_run[item[0]] = _RunValues()
            if len(item) == 2:
                values.metrics.append(item[1])
            else:
                values.metrics.extend(item[1])
                values.params.extend(item[2])
                values.tags.extend(item[3])
        for run_id, values in by_run.items():
            for params in _param_requests(values.params):
                self._send_params(run_id, params)
            for metrics, tags in _metric_tag_requests(values.metrics, values.tags):
                self._record(self._send(run_id, metrics, (), tags))

    def _send(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> RunwellError | None:
        """One log-batch request; the error it got, if any."""
        try:
            self.store.log_batch(run_id, metrics, params, tags)
        except RunwellError as exc:
            return exc
        except Exception as exc:  # a bug must not kill the thread and hang every flush
            error = RunwellError(f"Background logging failed: {exc!r}", ErrorCode.INTERNAL_ERROR)
            error.__cause__ = exc
            return error
        return None

    def _record(self, error: RunwellError | None) -> None:
        if error is not None:
            with self._errors_lock:
                self._errors.append(error)

    def _send_params(self, run_id: str, params: list[Param]) -> None:
        error = self._send(run_id, (), params, ())
        if error is None or len(params) == 1 or isinstance(error, Unavailable):
            # Unavailable: the server is gone, and one by one would fail the same way.
            self._record(error)
            return
        # One refused param rejects its whole request: re-send one by one, so that only the
        # refused values are lost, as with one call per param.
        for param in params:
            self._record(self._send(run_id, (), (param,), ()))


def _param_requests(params: list[Param]) -> list[list[Param]]:
    """Params in order, at most 100 per request and a key at most once per request.

    The same key and value again is dropped (logging it again is a no-op); the same key with
    another value starts a new request, for the server to refuse on its own.
    """
    requests: list[list[Param]] = []
    current: list[Param] = []
    seen: dict[str, str] = {}
    first_values: dict[str, str] = {}
    for param in params:
        if first_values.get(param.key, None) == param.value:
            continue
        first_values.setdefault(param.key, param.value)
        if param.key in seen or len(current) == validation.MAX_PARAMS_PER_BATCH:
            requests.append(current)
            current, seen = [], {}
        current.append(param)
        seen[param.key] = param.value
    if current:
        requests.append(current)
    return requests


def _metric_tag_requests(
    metrics: list[Metric], tags: list[RunTag]
) -> list[tuple[list[Metric], list[RunTag]]]:
    """Metrics and tags packed into requests of at most 1000 values (100 tags)."""
    # A key's last value (at the position of its first use): the end state of one by one.
    final = list({t.key: t for t in tags}.values())
    requests = []
    m = t = 0
    while m < len(metrics) or t < len(final):
        tag_chunk = final[t : t + validation.MAX_TAGS_PER_BATCH]
        room = validation.MAX_ENTITIES_PER_BATCH - len(tag_chunk)
        metric_chunk = metrics[m : m + min(room, validation.MAX_METRICS_PER_BATCH)]
        requests.append((metric_chunk, tag_chunk))
        m += len(metric_chunk)
        t += len(tag_chunk)
    return requests


# ---------------------------------------------------------------- one writer per store

_writers: dict[int, tuple[TrackingStore, BatchingWriter]] = {}
_lock = threading.Lock()


def writer_for(store: TrackingStore) -> BatchingWriter:
    """The writer of ``store``, shared by every client and the fluent API in this process."""
    found = _writers.get(id(store))
    if found is not None and found[0] is store:
        return found[1]
    with _lock:
        found = _writers.get(id(store))
        if found is None or found[0] is not store:
            found = _writers[id(store)] = (store, BatchingWriter(store))
        return found[1]


def existing_writer(store: TrackingStore) -> BatchingWriter | None:
    found = _writers.get(id(store))
    return found[1] if found is not None and found[0] is store else None


def flush_all() -> None:
    """Flush every writer; then raise the first error any of them got."""
    if not _writers:
        return
    first: RunwellError | None = None
    for _store, writer in list(_writers.values()):
        try:
            writer.flush()
        except RunwellError as exc:
            first = first or exc
    if first is not None:
        raise first


# Registered when this module is first imported, before the fluent API registers the hook that
# ends its active runs: hooks run last-registered first, so runs end (flushing, and marked
# FAILED if something was refused) and then whatever clients queued is delivered.
atexit.register(flush_all)


def close_writers() -> None:
    """Deliver and stop every writer and forget them (``fluent.reset``, tests); raise the first
    refusal once all are closed."""
    with _lock:
        writers = [writer for _store, writer in _writers.values()]
        _writers.clear()
    first: RunwellError | None = None
    for writer in writers:
        try:
            writer.close()
        except RunwellError as exc:
            first = first or exc
    if first is not None:
        raise first


def _forget_after_fork() -> None:
    # The child has no delivery threads: it starts with fresh writers, and what the parent had
    # queued stays the parent's to deliver.
    global _lock
    _writers.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
