"""Training-loop metrics: queued inside the loop, converted and logged off it.

A training loop logs a loss every step. Turning a tensor into a number with ``.item()`` waits
for the accelerator to finish the step (a host-device sync that stalls its pipeline), and a
store write per step can cost more than a small model's step. ``MetricBuffer.add`` does
neither: it checks the keys, keeps a detached copy of each scalar tensor (an asynchronous
device copy, so the caller may change its own tensor in place afterwards) and appends. Every
``points`` values or ``seconds`` seconds it hands what it holds to autolog's background
thread (worker.py), which converts the values and logs them as one batch.

``flush()`` hands off the rest and waits until it is stored. The fluent API's reads and
``end_run`` flush every live buffer first (``async_logging`` flush hook), so a script reads
what its loop logged. A batch the store refuses becomes autolog's warning, never the loop's
exception; a bad key or a value that is not a number raises in ``add``, at the call that
passed it.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any

from runwell.autologging import worker
from runwell.entities import Metric
from runwell.errors import InvalidArgument
from runwell.store import validation
from runwell.tracking import async_logging
from runwell.tracking.client import RunwellClient

HAND_OFF_SECONDS = 1.0
HAND_OFF_POINTS = 1000
WHAT = "logging training metrics"

# (key, value, timestamp, step): value is a float, or a detached 1-element tensor.
_Point = tuple[str, Any, int, int]


def scalar(value: Any, key: str) -> Any:
    """``value`` as something the background thread turns into a float without the caller.

    Python and NumPy numbers become floats now; a one-element tensor is detached and cloned
    (no device sync). Anything else raises InvalidArgument naming ``key``.
    """
    if type(value) is float:
        return value
    if isinstance(value, (int, float)):  # bool and int: logged as numbers, as MLflow does
        return float(value)
    numel = getattr(value, "numel", None)
    if callable(numel) and hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        if numel() != 1:
            raise InvalidArgument(
                f"Invalid value for metric '{key}': expected a number or a one-element tensor, "
                f"got a tensor of shape {tuple(value.shape)}."
            )
        return value.detach().clone()
    try:
        return float(value)  # NumPy scalars and 0-d arrays, Decimal, ...
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"Invalid value for metric '{key}': expected a number, got {type(value).__name__}."
        ) from None


def _as_float(value: Any) -> float:
    return value if type(value) is float else float(value.item())


class MetricBuffer:
    """The metrics one run's training loop logs, waiting for the background thread."""

    def __init__(
        self,
        client: RunwellClient,
        run_id: str,
        integration: str,
        seconds: float = HAND_OFF_SECONDS,
        points: int = HAND_OFF_POINTS,
    ) -> None:
        self.client = client
        self.run_id = run_id
        self.integration = integration
        self._seconds = seconds
        self._limit = points
        self._points: list[_Point] = []
        self._lock = threading.Lock()
        self._handed_at = time.monotonic()
        _live.add(self)

    def add(
        self, metrics: Mapping[str, Any], step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Queue ``metrics`` (name -> number or one-element tensor) at ``step`` (default 0)."""
        when = int(time.time() * 1000) if timestamp is None else int(timestamp)
        at = 0 if step is None else int(step)
        held = [(_key(name), scalar(value, name), when, at) for name, value in metrics.items()]
        with self._lock:
            self._points.extend(held)
            due = (
                len(self._points) >= self._limit
                or time.monotonic() - self._handed_at >= self._seconds
            )
        if due:
            self.hand_off()

    def hand_off(self) -> None:
        """Give what is queued to the background thread now."""
        with self._lock:
            points, self._points = self._points, []
            self._handed_at = time.monotonic()
        if points:
            job = functools.partial(_log_points, self.client, self.run_id, points)
            worker.submit(self.integration, WHAT, job)

    def flush(self) -> None:
        """Hand off what is queued and wait until the background thread logged it."""
        self.hand_off()
        worker.flush()


def _key(name: Any) -> str:
    if isinstance(name, str) and validation.valid_key(name):
        return name
    return validation.key(name, "key")


def _log_points(client: RunwellClient, run_id: str, points: list[_Point]) -> None:
    metrics = [
        Metric(key=key, value=_as_float(value), timestamp=when, step=step)
        for key, value, when, step in points
    ]
    client.log_batch(run_id, metrics)


_live: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()


def flush_all() -> None:
    """Hand off every live buffer's metrics and wait until they are logged."""
    for buffer in list(_live):
        buffer.hand_off()
    worker.flush()


async_logging.add_flush_hook(flush_all)
