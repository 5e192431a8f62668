"""What the delivery thread of ``async_logging`` does with the values it took from the queue.

The values of each run become ``log-batch`` requests within the server's limits
(``batch_requests.py``); a status change is made after the values queued before it. A request
the server refuses is an error for the caller's next flush; one that cannot reach the server
starts the spill (``spill.py``): it and everything after it go to journals until the server
is back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from runwell.entities import Metric, Param, RunInfo, RunStatus, RunTag
from runwell.errors import ErrorCode, RunwellError, Unavailable
from runwell.store.protocols import TrackingStore
from runwell.tracking.batch_requests import metric_tag_requests, param_requests
from runwell.tracking.spill import Spill, unreachable


class Status:
    """A run's status change, queued behind the values logged before it."""

    __slots__ = ("cause", "end_time", "error", "journal", "name", "result", "run_id", "status")

    def __init__(
        self,
        run_id: str,
        status: RunStatus | None,
        end_time: int | None,
        name: str | None,
        cause: RunwellError | None,
    ) -> None:
        self.run_id = run_id
        self.status = status
        self.end_time = end_time
        self.name = name
        self.cause = cause  # why the caller could not deliver it: journal it at once
        self.result: RunInfo | None = None
        self.error: RunwellError | None = None
        self.journal: str | None = None


class _RunValues:
    """What one drain of the queue holds for one run, in logging order."""

    __slots__ = ("metrics", "params", "tags")

    def __init__(self) -> None:
        self.metrics: list[Metric] = []
        self.params: list[Param] = []
        self.tags: list[RunTag] = []


class Delivery:
    """Sends drained values to ``store``; ``record`` keeps each refusal for the caller."""

    def __init__(self, store: TrackingStore, record: Callable[[RunwellError | None], None]) -> None:
        self.store = store
        self.record = record
        self.spill = Spill(store)

    def catch_up(self) -> None:
        """Try to deliver what was spilled (the server may be back)."""
        try:
            self.spill.catch_up()
        except RunwellError as exc:
            self.record(exc)

    def deliver(self, items: list[Any]) -> None:
        """Values in order; a status change after the values queued before it."""
        values: list[Any] = []
        for item in items:
            if type(item) is Status:
                self._deliver_values(values)
                values = []
                self._deliver_status(item)
            else:
                values.append(item)
        self._deliver_values(values)

    def _deliver_values(self, items: list[Any]) -> None:
        if not items:
            return
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
            for params in param_requests(values.params):
                self._send_params(run_id, params)
            for metrics, tags in metric_tag_requests(values.metrics, values.tags):
                self._send_or_spill(run_id, metrics, (), tags)

    def _send_or_spill(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> RunwellError | None:
        """Send one request, or journal it when the server is (or just became) unreachable;
        the refusal it got, if any (recorded unless it was about params)."""
        if not self.spill.active:
            error = self._send(run_id, metrics, params, tags)
            if not unreachable(error):
                if not params:
                    self.record(error)
                return error
            assert error is not None
            self.spill.start(error)
        self.spill.write(run_id, metrics, params, tags)
        return None

    def _deliver_status(self, change: Status) -> None:
        if change.cause is None and not self.spill.active:
            try:
                change.result = self.store.update_run_info(
                    change.run_id, change.status, change.end_time, change.name
                )
                return
            except RunwellError as exc:
                if not unreachable(exc):
                    change.error = exc
                    return
                change.cause = exc
        if change.cause is not None:
            self.spill.start(change.cause)
        change.journal = self.spill.write_status(
            change.run_id, change.status, change.end_time, change.name
        )

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

    def _send_params(self, run_id: str, params: list[Param]) -> None:
        error = self._send_or_spill(run_id, (), params, ())
        if error is None or len(params) == 1 or isinstance(error, Unavailable):
            self.record(error)
            return
        # One refused param rejects its whole request: re-send one by one, so that only the
        # refused values are lost, as with one call per param.
        for param in params:
            self.record(self._send_or_spill(run_id, (), (param,), ()))
