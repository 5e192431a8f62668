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

How much it holds
    At most RUNWELL_ASYNC_LOGGING_QUEUE_SIZE values (default 100,000) wait in the queue. A
    logging call that would pass the bound waits for the thread to take the queue (it takes
    all of it at once, so the wait lasts until the request in flight is answered): a loop
    that logs faster than the server stores is slowed to the server's pace, and memory stays
    bounded. Nothing is dropped: a single batch larger than the bound is taken on its own.

When the server is unreachable
    A request that cannot reach the server (after the transport's retries) is not an error:
    it and everything after it go into journals on disk (``spill.py``), and the thread
    delivers them when the server answers again, by itself. A status change (``end_run``)
    travels through the queue behind the values logged before it, and is journaled too while
    the server is away. At exit, journals still undelivered stay on disk for ``runwell
    sync``, and a message says so: no value a logging call accepted is lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from runwell import env
from runwell.entities import Metric, Param, RunInfo, RunStatus, RunTag
from runwell.errors import ErrorCode, RunwellError
from runwell.store.protocols import TrackingStore
from runwell.tracking.delivery import Delivery, Status
from runwell.tracking.spill import unreachable

DEFAULT_QUEUE_SIZE = 100_000
_logger = logging.getLogger(__name__)

# Queued: (run_id, metric) for a single point, (run_id, metrics, params, tags) otherwise, a
# delivery.Status change, or a flush marker (an Event set once everything queued before it is done).
_Item = Any


class BatchingWriter:
    """Queue of pending writes to one store, delivered by one daemon thread.

    ``linger``: how long the thread, woken by a value after a quiet spell, waits for more
    before it sends (a flush cuts it short). Callers wake the thread only when it sleeps on an
    empty queue, so a busy training loop pays no wake-up per call.
    """

    def __init__(
        self, store: TrackingStore, linger: float = 0.01, max_values: int | None = None
    ) -> None:
        self.store = store
        self.linger = linger
        self.max_values = (
            env.whole_number(env.ASYNC_QUEUE_SIZE, DEFAULT_QUEUE_SIZE, 1)
            if max_values is None
            else max_values
        )
        self._queue: deque[_Item] = deque()
        # Values queued beyond one per item (the rest of each batch): changed under the lock.
        self._extra = 0
        self._count_lock = threading.Lock()
        self._room = threading.Event()
        self._delivery = Delivery(store, self._record)
        self._spill = self._delivery.spill
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
        if len(self._queue) + self._extra >= self.max_values:
            self._wait_for_room(1)
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
        count = len(metrics) + len(params) + len(tags)
        if len(self._queue) + self._extra + count > self.max_values:
            self._wait_for_room(count)
        with self._count_lock:
            self._extra += max(count, 1) - 1
            self._queue.append((run_id, metrics, params, tags))
        if self._idle:
            self._idle = False
            self._wake.set()

    def _wait_for_room(self, count: int) -> None:
        """Back-pressure: wait until the thread took the queue (an empty queue takes anything)."""
        if self._closed:
            self.flush()  # no thread any more: deliver here
            return
        while self._queue and len(self._queue) + self._extra + count > self.max_values:
            self._room.clear()
            if not self._queue:
                break
            self._hurry.set()
            self._wake.set()
            self._room.wait(0.1)

    def update_run_info(
        self, run_id: str, status: RunStatus | None, end_time: int | None, name: str | None
    ) -> RunInfo:
        """Change a run's status after the values queued before; journaled (with a warning)
        when the server is unreachable, and then the returned info holds only these fields."""
        self.flush()
        cause: RunwellError | None = None
        if not self._spill.active:
            try:
                return self.store.update_run_info(run_id, status, end_time, name)
            except RunwellError as exc:
                if not unreachable(exc):
                    raise
                cause = exc
        change = Status(run_id, status, end_time, name, cause)
        self._queue.append(change)
        self.flush()
        if change.error is not None:
            raise change.error
        if change.result is not None:
            return change.result
        _logger.warning(
            "runwell: run %s is changed (%s) in the journal %s: the tracking server is "
            "unreachable; it is delivered when the server is back, or by `runwell sync`.",
            run_id,
            status.name if status is not None else name,
            change.journal,
        )
        return RunInfo(
            run_id=run_id,
            experiment_id="",
            run_name=name or "",
            user_id="",
            status=status or RunStatus.RUNNING,
            start_time=0,
            end_time=end_time,
            artifact_uri="",
        )

    @property
    def pending(self) -> bool:
        """Whether anything is queued or being delivered (or an error waits to be raised), or
        values wait in journals for the server to come back."""
        # _inflight is set before the queue is drained, so a drained-but-unsent batch shows.
        return bool(self._queue) or self._inflight or bool(self._errors) or self._spill.active

    def flush(self) -> None:
        """Block until everything queued so far is delivered; raise what the server refused."""
        if not self.pending:
            return
        if self._closed:  # no thread any more: deliver here
            items, _markers = self._take_all()
            self._delivery.deliver(items)
            if self._spill.active:
                self._delivery.catch_up()
        elif self._queue or self._inflight or self._spill.active:
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
            self._spill.leave()

    def _record(self, error: RunwellError | None) -> None:
        if error is not None:
            with self._errors_lock:
                self._errors.append(error)

    def _raise_errors(self) -> None:
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    # ---------------------------------------------------------------- delivery thread

    def _loop(self) -> None:
        queue = self._queue
        spill = self._spill
        while True:
            if not queue:
                if self._closed:
                    return
                if spill.due():
                    self._delivery.catch_up()
                    continue
                self._idle = True
                if not queue:  # checked again after announcing idleness: no lost wake-up
                    self._wake.wait(spill.wait_time() if spill.active else None)
                self._wake.clear()
                self._idle = False
                # Woken by the first value after a quiet spell: give the caller a moment to
                # add more, so that they travel together.
                if queue and self.linger > 0:
                    self._hurry.wait(self.linger)
                continue
            self._hurry.clear()
            self._inflight = True
            items, markers = self._take_all()
            self._room.set()
            try:
                self._delivery.deliver(items)
                if spill.active and (markers or spill.due()):
                    self._delivery.catch_up()  # a flush waits: see whether the server is back
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

    def _take_all(self) -> tuple[list[_Item], list[threading.Event]]:
        """Everything queued, and the flush markers among it."""
        queue = self._queue
        items: list[_Item] = []
        markers: list[threading.Event] = []
        extra = 0
        while queue:
            item = queue.popleft()
            kind = type(item)
            if kind is threading.Event:
                markers.append(item)
            else:
                items.append(item)
                if kind is tuple and len(item) == 4:
                    extra += max(len(item[1]) + len(item[2]) + len(item[3]), 1) - 1
        if extra:
            with self._count_lock:
                self._extra -= extra
        return items, markers


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


# Background work that logs on its own (autolog's jobs, a run's context files): flush_all runs
# these first, so reads, end_run and exit see what it logged.
_flush_hooks: list[Callable[[], None]] = []


def add_flush_hook(hook: Callable[[], None]) -> None:
    """Have every ``flush_all`` call ``hook`` first (once per hook).

    A hook waits for its background work and must return at once when called from that work's
    own thread (the work's own reads flush too).
    """
    if hook not in _flush_hooks:
        _flush_hooks.append(hook)


def flush_all(background: bool = True) -> None:
    """Finish background logging work (unless not ``background``: starting a run need not wait
    for autolog's last model), flush every writer; then raise the first error."""
    for hook in tuple(_flush_hooks) if background else ():
        hook()
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


def _leave_spills() -> None:
    """At exit: stop the writers still spilling, keeping their journals for `runwell sync`."""
    for _store, writer in list(_writers.values()):
        if writer.pending:
            try:
                writer.close()
            except RunwellError:
                pass  # flush_all, just before, raised it already


# Registered when this module is first imported, before the fluent API registers the hook that
# ends its active runs: hooks run last-registered first, so runs end (flushing, and marked
# FAILED if something was refused), then whatever clients queued is delivered, and last the
# journals of a server that is still unreachable are left with a message.
atexit.register(_leave_spills)
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
