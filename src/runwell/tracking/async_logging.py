"""Asynchronous logging: a background thread commits queued values in batches.

Opt in per call (``log_metric(..., synchronous=False)``) or for the process
(``RUNWELL_ENABLE_ASYNC_LOGGING=true``). Values are validated in the caller, so bad input still
raises at once; only the write is deferred. The queue is flushed before every read through the
fluent API, when a run ends, and at exit, so a script sees its own writes and loses nothing on
a normal exit. A write that fails in the background is re-raised by the next call.
"""

from __future__ import annotations

import atexit
import threading
from collections import defaultdict
from collections.abc import Sequence

from runwell.entities import Metric, Param, RunTag
from runwell.errors import RunwellError
from runwell.store import validation
from runwell.store.protocols import TrackingStore

_Item = tuple[str, Sequence[Metric], Sequence[Param], Sequence[RunTag]]


class BatchingWriter:
    """Queue of pending writes to one store, committed by one daemon thread."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store
        self._pending: list[_Item] = []
        self._cond = threading.Condition()
        self._busy = False
        self._error: RunwellError | None = None
        self._thread = threading.Thread(target=self._loop, name="runwell-async-log", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def submit(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        self._raise_pending_error()
        with self._cond:
            self._pending.append((run_id, metrics, params, tags))
            self._cond.notify()

    def flush(self) -> None:
        """Block until everything submitted so far is committed."""
        with self._cond:
            while self._pending or self._busy:
                self._cond.wait()
        self._raise_pending_error()

    def _raise_pending_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                items, self._pending = self._pending, []
                self._busy = True
            try:
                self._write(items)
            except RunwellError as exc:
                self._error = exc
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write(self, items: list[_Item]) -> None:
        by_run: dict[str, list[Metric]] = defaultdict(list)
        for run_id, metrics, params, tags in items:
            if params or tags:
                # Params and tags keep their order relative to earlier metrics of the run.
                self._write_metrics(run_id, by_run.pop(run_id, []))
                self.store.log_batch(run_id, params=params, tags=tags)
            by_run[run_id].extend(metrics)
        for run_id, metrics in by_run.items():
            self._write_metrics(run_id, metrics)

    def _write_metrics(self, run_id: str, metrics: list[Metric]) -> None:
        size = validation.MAX_METRICS_PER_BATCH
        for start in range(0, len(metrics), size):
            self.store.log_batch(run_id, metrics=metrics[start : start + size])
