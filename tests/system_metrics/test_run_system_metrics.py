"""System metrics of real runs: the monitor samples this machine through psutil."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

import runwell
from runwell.errors import InvalidArgument

HOST_KEYS = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


@pytest.fixture
def fast_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.1")


def _monitors() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "runwell-system-metrics"]


def _steps(run_id: str, key: str = "system/cpu_utilization_percentage") -> list[int]:
    return [m.step for m in runwell.RunwellClient().get_metric_history(run_id, key)]


@pytest.mark.usefixtures("fast_sampling")
def test_run_logs_system_metrics_at_increasing_steps_and_stops_with_the_run() -> None:
    with runwell.start_run(log_system_metrics=True) as run:
        assert len(_monitors()) == 1
        time.sleep(0.55)
    assert _monitors() == []
    metrics = runwell.get_run(run.info.run_id).data.metric_dict
    assert HOST_KEYS <= set(metrics)
    steps = _steps(run.info.run_id)
    assert len(steps) >= 3
    assert steps == list(range(len(steps)))
    for key in HOST_KEYS:  # every point of a period carries every metric, at the same step
        assert _steps(run.info.run_id, key) == steps
    assert 0 <= metrics["system/cpu_utilization_percentage"] <= 100
    assert 0 < metrics["system/system_memory_usage_percentage"] <= 100
    assert metrics["system/system_memory_usage_megabytes"] > 1
    assert 0 < metrics["system/disk_usage_percentage"] <= 100
    assert metrics["system/disk_usage_megabytes"] > 1
    assert metrics["system/disk_available_megabytes"] > 0
    assert metrics["system/network_receive_megabytes"] >= 0
    assert metrics["system/network_transmit_megabytes"] >= 0
    time.sleep(0.3)  # nothing arrives once the run ended
    assert len(_steps(run.info.run_id)) == len(steps)


def test_run_shorter_than_the_interval_gets_one_point_and_ends_at_once() -> None:
    run = runwell.start_run(log_system_metrics=True)  # default interval: 10 s
    started = time.monotonic()
    runwell.end_run()
    assert time.monotonic() - started < 5
    assert _steps(run.info.run_id) == [0]
    assert _monitors() == []


def test_runs_log_no_system_metrics_by_default() -> None:
    with runwell.start_run() as run:
        assert _monitors() == []
    assert not any(
        k.startswith("system/") for k in runwell.get_run(run.info.run_id).data.metric_dict
    )


def test_enable_and_disable_switch_system_metrics_for_later_runs() -> None:
    runwell.enable_system_metrics_logging()
    try:
        with runwell.start_run() as on:
            assert len(_monitors()) == 1
        with runwell.start_run(log_system_metrics=False):  # the argument wins
            assert _monitors() == []
    finally:
        runwell.disable_system_metrics_logging()
    with runwell.start_run() as off:
        assert _monitors() == []
    assert _steps(on.info.run_id) == [0]
    assert _steps(off.info.run_id) == []


@pytest.mark.parametrize("prefix", ["RUNWELL", "MLFLOW"])
def test_environment_turns_system_metrics_on(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    monkeypatch.setenv(f"{prefix}_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    monkeypatch.setenv(f"{prefix}_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.1")
    monkeypatch.setenv(f"{prefix}_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "3")
    monkeypatch.setenv(f"{prefix}_SYSTEM_METRICS_NODE_ID", "node_0")
    with runwell.start_run() as run:
        time.sleep(0.75)  # at most ~8 samples: 2 points of 3 and the rest at the end
    key = "system/node_0/cpu_utilization_percentage"
    assert 1 <= len(_steps(run.info.run_id, key)) <= 4  # one point per sample would be ~8
    assert _steps(run.info.run_id) == []


@pytest.mark.usefixtures("fast_sampling")
def test_resumed_run_continues_after_its_last_step() -> None:
    with runwell.start_run(log_system_metrics=True) as run:
        time.sleep(0.25)
    first = _steps(run.info.run_id)
    with runwell.start_run(run_id=run.info.run_id, log_system_metrics=True):
        time.sleep(0.25)
    steps = _steps(run.info.run_id)
    assert steps[: len(first)] == first
    assert steps == list(range(len(steps))) and len(steps) > len(first)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL", "soon", "expected a number"),
        ("RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL", "0", "greater than 0"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "inf", "greater than 0"),
        ("RUNWELL_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "nan", "whole number"),
        ("RUNWELL_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "1.5", "whole number"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "0", "at least 1"),
    ],
)
def test_bad_settings_are_refused_before_the_run_starts(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidArgument, match=expected) as raised:
        runwell.start_run(log_system_metrics=True)
    assert "SYSTEM_METRICS" in str(raised.value)
    assert runwell.active_run() is None
    with runwell.start_run():  # without system metrics the setting is not read
        pass


def test_import_runwell_loads_neither_psutil_nor_the_monitor() -> None:
    code = (
        "import sys, runwell; print(sorted(m for m in sys.modules"
        " if 'psutil' in m or 'nvml' in m or m.startswith('runwell.system_metrics')))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
