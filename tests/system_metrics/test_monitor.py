"""The monitor's timing and arithmetic, driven by a scripted sampler (the host is in
test_run_system_metrics.py): averaging, cumulative keys, steps, the last sample, failures."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import pytest

from runwell.errors import InvalidArgument
from runwell.system_metrics import (
    HostSampler,
    MonitorSettings,
    NetworkSampler,
    SystemMetricsMonitor,
)


class Scripted:
    """Readings 1, 2, 3, ... for ``load``; ``sent`` is a running total like a network counter."""

    cumulative = frozenset({"sent"})

    def __init__(self, fail: bool = False) -> None:
        self.count = 0
        self.fail = fail
        self.closed = False

    def sample(self) -> dict[str, float]:
        if self.fail:
            raise OSError("sensor gone")
        self.count += 1
        return {"load": float(self.count), "sent": 10.0 * self.count}

    def close(self) -> None:
        self.closed = True


Points = list[tuple[dict[str, float], int]]


def test_samples_before_logging_averages_each_period_and_keeps_the_last_total() -> None:
    points: Points = []
    sampler = Scripted()
    settings = MonitorSettings(interval=0.05, samples_before_logging=2)
    monitor = SystemMetricsMonitor(
        lambda values, step: points.append((dict(values), step)), settings, samplers=[sampler]
    ).start()
    deadline = time.monotonic() + 5
    while len(points) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    monitor.stop()
    assert points[0] == ({"system/load": 1.5, "system/sent": 20.0}, 0)
    assert points[1] == ({"system/load": 3.5, "system/sent": 40.0}, 1)
    assert [step for _, step in points] == list(range(len(points)))
    assert sampler.closed and not monitor.alive


def test_stop_logs_a_last_sample_and_steps_continue_from_first_step() -> None:
    points: Points = []
    monitor = SystemMetricsMonitor(
        lambda values, step: points.append((dict(values), step)),
        MonitorSettings(interval=30, node_id="n1"),
        first_step=7,
        samplers=[Scripted()],
    ).start()
    monitor.stop()
    assert points == [({"system/n1/load": 1.0, "system/n1/sent": 10.0}, 7)]


def test_failures_are_logged_once_and_never_stop_the_monitor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def refuse(values: Mapping[str, float], step: int) -> None:
        calls.append(step)
        raise ConnectionError("server down")

    broken, working = Scripted(fail=True), Scripted()
    with caplog.at_level(logging.WARNING, logger="runwell.system_metrics"):
        monitor = SystemMetricsMonitor(
            refuse, MonitorSettings(interval=0.02), samplers=[broken, working]
        ).start()
        time.sleep(0.2)
        monitor.stop()
    assert len(calls) >= 3  # it kept sampling and publishing
    assert working.count >= 3
    messages = [r.getMessage() for r in caplog.records]
    assert sum("server down" in m for m in messages) == 1
    assert sum("sensor gone" in m for m in messages) == 1


def test_settings_refuse_values_out_of_range() -> None:
    with pytest.raises(InvalidArgument, match="interval 0: expected a finite number of seconds"):
        MonitorSettings(interval=0)
    with pytest.raises(InvalidArgument, match="samples_before_logging 0: expected a whole"):
        MonitorSettings(samples_before_logging=0)


def test_host_samplers_read_this_machine() -> None:
    host, network = HostSampler(), NetworkSampler()
    sum(i * i for i in range(200_000))  # some CPU work between the baseline and the sample
    values = host.sample() | network.sample()
    assert 0 <= values["cpu_utilization_percentage"] <= 100
    assert values["disk_usage_megabytes"] + values["disk_available_megabytes"] > 0
    assert set(network.cumulative) <= set(values)
