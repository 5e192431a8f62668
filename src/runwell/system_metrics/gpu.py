"""NVIDIA GPU readings through NVML (the ``pynvml`` module of ``nvidia-ml-py``), when present.

NVML is optional: without the module, without a driver, or without a GPU, ``NvmlSampler.open``
answers None and the monitor logs the host metrics alone. A reading a device does not
support (power on some boards, for one) is left out for that device from then on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from runwell.system_metrics.samplers import MEGABYTE


class NvmlSampler:
    """Utilisation, memory and power of every GPU NVML sees, keyed ``gpu_<index>_...``."""

    cumulative: frozenset[str] = frozenset()

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles
        self._unsupported: set[str] = set()
        # The enforced power limit is a setting, not a reading: ask once (milliwatts).
        self._power_limits = [
            self._read(f"gpu_{i}_power_limit", nvml.nvmlDeviceGetEnforcedPowerLimit, h)
            for i, h in enumerate(handles)
        ]

    @classmethod
    def open(cls, module: str = "pynvml") -> NvmlSampler | None:
        """A sampler of every GPU, or None when NVML or a GPU is missing."""
        try:
            nvml = importlib.import_module(module)
        except ImportError:
            return None
        try:
            nvml.nvmlInit()
        except Exception:  # NVMLError (no driver, no library) or OSError loading it
            return None
        try:
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        except Exception:
            handles = []
        if not handles:
            _shutdown(nvml)
            return None
        return cls(nvml, handles)

    def _read(self, name: str, query: Callable[[Any], Any], handle: Any) -> Any:
        if name in self._unsupported:
            return None
        try:
            return query(handle)
        except self._nvml.NVMLError:
            self._unsupported.add(name)
            return None

    def sample(self) -> dict[str, float]:
        nvml = self._nvml
        values: dict[str, float] = {}
        for index, handle in enumerate(self._handles):
            prefix = f"gpu_{index}_"
            rates = self._read(prefix + "utilization", nvml.nvmlDeviceGetUtilizationRates, handle)
            if rates is not None:
                values[prefix + "utilization_percentage"] = float(rates.gpu)
            memory = self._read(prefix + "memory", nvml.nvmlDeviceGetMemoryInfo, handle)
            if memory is not None and memory.total:
                values[prefix + "memory_usage_percentage"] = 100.0 * memory.used / memory.total
                values[prefix + "memory_usage_megabytes"] = memory.used / MEGABYTE
            milliwatts = self._read(prefix + "power", nvml.nvmlDeviceGetPowerUsage, handle)
            if milliwatts is not None:
                values[prefix + "power_usage_watts"] = milliwatts / 1000.0
                limit = self._power_limits[index]
                if limit:
                    values[prefix + "power_usage_percentage"] = 100.0 * milliwatts / limit
        return values

    def close(self) -> None:
        _shutdown(self._nvml)


def _shutdown(nvml: Any) -> None:
    try:
        nvml.nvmlShutdown()
    except Exception:  # already shut down, or the library went away: nothing to release
        return
