"""Work that lives as long as a run of the fluent API: the system metrics monitor and the
background capture of the run's context files (``context_files``).

``start_run`` starts them after the run exists; ``end_run`` stops them (the monitor takes
its last sample and logs it, the capture finishes its files) before it delivers the queued
values and ends the run, so nothing they log arrives after the run ended.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from runwell import env
from runwell.entities import Metric, Run
from runwell.tracking import context_files
from runwell.tracking.client import RunwellClient

if TYPE_CHECKING:
    from runwell.system_metrics.monitor import MonitorSettings

_logger = logging.getLogger(__name__)


class Companion(Protocol):
    def stop(self) -> None: ...


def system_metrics_settings(requested: bool | None, switch: bool | None) -> MonitorSettings | None:
    """The monitor's settings when the run wants system metrics, else None.

    ``log_system_metrics`` of start_run wins, then ``enable/disable_system_metrics_logging()``,
    then RUNWELL_ENABLE_SYSTEM_METRICS_LOGGING (or MLflow's twin); off by default.
    """
    wanted = requested if requested is not None else switch
    if not (env.flag(env.SYSTEM_METRICS, False) if wanted is None else wanted):
        return None
    # psutil loads with the monitor, only for runs that log system metrics.
    from runwell.system_metrics.monitor import MonitorSettings

    return MonitorSettings.from_env()


def _next_step(client: RunwellClient, run_id: str, key: str) -> int:
    history = client.get_metric_history(run_id, key)
    return max((m.step for m in history), default=-1) + 1


def _system_metrics(
    client: RunwellClient, run_id: str, synchronous: bool, settings: MonitorSettings, resumed: bool
) -> Companion | None:
    from runwell.system_metrics.monitor import SystemMetricsMonitor

    def publish(values: Mapping[str, float], step: int) -> None:
        now = int(time.time() * 1000)
        metrics = [Metric(key=k, value=v, timestamp=now, step=step) for k, v in values.items()]
        client.log_batch(run_id, metrics=metrics, synchronous=synchronous)

    try:
        key = settings.prefix + "cpu_utilization_percentage"
        first = _next_step(client, run_id, key) if resumed else 0
        return SystemMetricsMonitor(publish, settings, first_step=first).start()
    except Exception as exc:  # psutil unusable here: the run goes on without system metrics
        _logger.warning("System metrics are off for run %s: %r", run_id, exc)
        return None


def start(
    client: RunwellClient,
    run: Run,
    *,
    asynchronous: bool,
    capture_context: bool,
    system_metrics: MonitorSettings | None,
    resumed: bool,
) -> list[Companion]:
    """Start what the run asks for: context capture (new top-level runs) and system metrics."""
    companions: list[Companion] = []
    if capture_context:
        capture = context_files.start(client, run, synchronous=not asynchronous)
        if capture is not None:
            companions.append(capture)
    if system_metrics is not None:
        monitor = _system_metrics(
            client, run.info.run_id, not asynchronous, system_metrics, resumed
        )
        if monitor is not None:
            companions.append(monitor)
    return companions


def stop(companions: list[Companion]) -> None:
    """Stop each companion (they never raise into the caller's training)."""
    while companions:
        companion = companions.pop()
        try:
            companion.stop()
        except Exception as exc:
            _logger.warning("Stopping %s failed: %r", type(companion).__name__, exc)
