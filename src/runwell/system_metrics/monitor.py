"""The system metrics monitor: a thread that samples the host and logs ``system/*`` metrics.

Every ``interval`` seconds it takes a sample (CPU, memory, disk, network, GPUs through NVML
when present); every ``samples_before_logging`` samples it logs their average as one point
per metric, at step 0, 1, 2, ... (the index of the logged point; a resumed run carries on
from its last step). ``stop()`` takes a last sample covering the time since the previous one,
logs what is pending and joins the thread, so a run shorter than one interval still gets a
point. The names are MLflow's (``system/cpu_utilization_percentage``, ...), with the node id
after ``system/`` when one is set, as MLflow does for multi-node training.

Neither sampling nor logging ever raises into the training: a failure is logged as a warning
once, and the monitor goes on.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from runwell import env
from runwell.errors import InvalidArgument
from runwell.system_metrics.gpu import NvmlSampler
from runwell.system_metrics.samplers import HostSampler, NetworkSampler, Sampler

_logger = logging.getLogger(__name__)

Publish = Callable[[Mapping[str, float], int], None]
# A final sample is taken at stop unless the previous one is this recent (share of interval).
_TAIL_SHARE = 0.1


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorSettings:
    interval: float = 10.0
    samples_before_logging: int = 1
    node_id: str | None = None

    def __post_init__(self) -> None:
        if not (self.interval > 0 and math.isfinite(self.interval)):
            raise InvalidArgument(
                f"Invalid system metrics sampling interval {self.interval!r}: expected a finite "
                "number of seconds greater than 0."
            )
        if self.samples_before_logging < 1:
            raise InvalidArgument(
                f"Invalid system metrics samples_before_logging {self.samples_before_logging!r}"
                ": expected a whole number of at least 1."
            )

    @classmethod
    def from_env(cls) -> MonitorSettings:
        """Settings from RUNWELL_SYSTEM_METRICS_* (or MLflow's twins); bad values are refused."""
        interval = env.number(env.SYSTEM_METRICS_INTERVAL, 10.0)
        if not (interval > 0 and math.isfinite(interval)):
            raise InvalidArgument(
                f"Invalid {env.SYSTEM_METRICS_INTERVAL}={interval!r}: expected a finite number of "
                "seconds greater than 0."
            )
        samples = env.number(env.SYSTEM_METRICS_SAMPLES, 1.0)
        if not samples.is_integer() or samples < 1:
            raise InvalidArgument(
                f"Invalid {env.SYSTEM_METRICS_SAMPLES}={samples!r}: expected a whole number "
                "of at least 1."
            )
        return cls(
            interval=interval,
            samples_before_logging=int(samples),
            node_id=env.get(env.SYSTEM_METRICS_NODE_ID),
        )

    @property
    def prefix(self) -> str:
        return f"system/{self.node_id}/" if self.node_id else "system/"


def default_samplers() -> list[Sampler]:
    """The host samplers, and the GPU sampler when NVML finds a GPU."""
    samplers: list[Sampler] = [HostSampler(), NetworkSampler()]
    gpus = NvmlSampler.open()
    if gpus is not None:
        samplers.append(gpus)
    return samplers


class SystemMetricsMonitor:
    """Samples in a daemon thread and hands averaged points to ``publish(values, step)``."""

    def __init__(
        self,
        publish: Publish,
        settings: MonitorSettings | None = None,
        *,
        first_step: int = 0,
        samplers: list[Sampler] | None = None,
    ) -> None:
        self.settings = settings or MonitorSettings()
        self.step = self._first_step = first_step
        self._publish = publish
        self._samplers = default_samplers() if samplers is None else samplers
        self._cumulative = frozenset(key for s in self._samplers for key in s.cumulative)
        self._pending: list[dict[str, float]] = []
        self._last_sample = time.monotonic()
        self._warned: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="runwell-system-metrics", daemon=True
        )

    def start(self) -> SystemMetricsMonitor:
        self._last_sample = time.monotonic()
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 60.0) -> None:
        """Take the last sample, log what is pending, and wait for the thread to end."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        if self._thread.is_alive():
            _logger.warning("The system metrics monitor did not stop within %s s.", timeout)

    def _run(self) -> None:
        interval = self.settings.interval
        due = time.monotonic() + interval
        while not self._stop.wait(max(due - time.monotonic(), 0.0)):
            due = max(due + interval, time.monotonic())
            self._sample()
            if len(self._pending) >= self.settings.samples_before_logging:
                self._flush()
        tail = time.monotonic() - self._last_sample
        if tail >= _TAIL_SHARE * interval or self.step == self._first_step:
            self._sample()
        self._flush()
        for sampler in self._samplers:
            self._guarded("close", sampler.close)

    def _sample(self) -> None:
        values: dict[str, float] = {}
        for sampler in self._samplers:
            values.update(self._guarded(type(sampler).__name__, sampler.sample) or {})
        self._last_sample = time.monotonic()
        self._pending.append(values)

    def _flush(self) -> None:
        if not self._pending:
            return
        merged: dict[str, list[float]] = {}
        for values in self._pending:
            for key, value in values.items():
                merged.setdefault(key, []).append(value)
        self._pending = []
        prefix = self.settings.prefix
        point = {
            prefix + key: found[-1] if key in self._cumulative else sum(found) / len(found)
            for key, found in merged.items()
        }
        if point:
            self._guarded("publish", lambda: self._publish(point, self.step))
            self.step += 1

    def _guarded(
        self, what: str, call: Callable[[], dict[str, float] | None]
    ) -> dict[str, float] | None:
        try:
            return call()
        except Exception as exc:  # never break the training; say it once per kind of failure
            if what not in self._warned:
                self._warned.add(what)
                _logger.warning("System metrics: %s failed: %r", what, exc)
            return None
