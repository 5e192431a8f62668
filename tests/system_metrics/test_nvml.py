"""The GPU sampler against NVML's documented Python API (``pynvml``, from nvidia-ml-py).

No GPU here: a stand-in module with NVML's function names and units (bytes, milliwatts)
takes pynvml's place in ``sys.modules``; the library's own edge is the only thing replaced.
"""

from __future__ import annotations

import sys
import time
import types
from typing import Any

import pytest

import runwell
from runwell.system_metrics import NvmlSampler

GIB = 1 << 30


class NVMLError(Exception):
    pass


def fake_nvml(devices: int = 1, power: bool = True, init_fails: bool = False) -> types.ModuleType:
    """NVML with ``devices`` GPUs at 42 % use, 2 of 8 GiB used, 150 of 300 W."""
    module = types.ModuleType("pynvml")
    calls: dict[str, int] = {}

    def count(name: str) -> None:
        calls[name] = calls.get(name, 0) + 1

    def init() -> None:
        if init_fails:
            raise NVMLError("Driver Not Loaded")

    def power_usage(handle: int) -> int:
        count("power")
        if not power:
            raise NVMLError("Not Supported")
        return 150_000

    module.NVMLError = NVMLError  # type: ignore[attr-defined]
    module.calls = calls  # type: ignore[attr-defined]
    module.nvmlInit = init  # type: ignore[attr-defined]
    module.nvmlShutdown = lambda: count("shutdown")  # type: ignore[attr-defined]
    module.nvmlDeviceGetCount = lambda: devices  # type: ignore[attr-defined]
    module.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    module.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=42, memory=7)  # type: ignore[attr-defined]
    module.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(  # type: ignore[attr-defined]
        total=8 * GIB, used=2 * GIB, free=6 * GIB
    )
    module.nvmlDeviceGetPowerUsage = power_usage  # type: ignore[attr-defined]
    module.nvmlDeviceGetEnforcedPowerLimit = lambda h: 300_000  # type: ignore[attr-defined]
    return module


def _install(monkeypatch: pytest.MonkeyPatch, module: types.ModuleType) -> Any:
    monkeypatch.setitem(sys.modules, "pynvml", module)
    return module


def test_without_nvml_there_is_no_gpu_sampler() -> None:
    assert NvmlSampler.open("runwell_test_no_such_nvml") is None


@pytest.mark.parametrize("broken", [{"init_fails": True}, {"devices": 0}])
def test_without_a_driver_or_a_gpu_there_is_no_gpu_sampler(
    monkeypatch: pytest.MonkeyPatch, broken: dict[str, Any]
) -> None:
    nvml = _install(monkeypatch, fake_nvml(**broken))
    assert NvmlSampler.open() is None
    if not broken.get("init_fails"):
        assert nvml.calls["shutdown"] == 1  # initialised, so released


def test_gpu_readings_use_mlflow_names_and_units(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = _install(monkeypatch, fake_nvml(devices=2))
    sampler = NvmlSampler.open()
    assert sampler is not None
    values = sampler.sample()
    for gpu in (0, 1):
        assert values[f"gpu_{gpu}_utilization_percentage"] == 42
        assert values[f"gpu_{gpu}_memory_usage_percentage"] == 25
        assert values[f"gpu_{gpu}_memory_usage_megabytes"] == pytest.approx(2 * GIB / 1e6)
        assert values[f"gpu_{gpu}_power_usage_watts"] == 150
        assert values[f"gpu_{gpu}_power_usage_percentage"] == 50
    sampler.close()
    assert nvml.calls["shutdown"] == 1


def test_a_reading_the_gpu_does_not_support_is_left_out_and_not_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nvml = _install(monkeypatch, fake_nvml(power=False))
    sampler = NvmlSampler.open()
    assert sampler is not None
    first, second = sampler.sample(), sampler.sample()
    assert first == second
    assert set(first) == {
        "gpu_0_utilization_percentage",
        "gpu_0_memory_usage_percentage",
        "gpu_0_memory_usage_megabytes",
    }
    assert nvml.calls["power"] == 1


def test_a_run_logs_gpu_metrics_when_nvml_finds_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, fake_nvml())
    monkeypatch.setenv("RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.1")
    with runwell.start_run(log_system_metrics=True) as run:
        time.sleep(0.25)
    metrics = runwell.get_run(run.info.run_id).data.metric_dict
    assert metrics["system/gpu_0_utilization_percentage"] == 42
    assert metrics["system/gpu_0_power_usage_watts"] == 150
    assert "system/cpu_utilization_percentage" in metrics
