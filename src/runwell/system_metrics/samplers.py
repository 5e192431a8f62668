"""What the system metrics monitor reads from the host: CPU, memory, disk, network (psutil).

A sampler returns instantaneous readings keyed by MLflow's metric names (without the
``system/`` prefix). The monitor averages a key over the samples of a logging period, except
for the keys a sampler lists as ``cumulative`` (running totals), of which it keeps the last.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

# No type stubs in the dependencies yet (types-psutil would add them).
import psutil

# MLflow's system metrics count a megabyte as 10**6 bytes; the same figures read the same here.
MEGABYTE = 1e6


class Sampler(Protocol):
    cumulative: frozenset[str]

    def sample(self) -> dict[str, float]: ...

    def close(self) -> None: ...


def _busy_and_total(times: Any) -> tuple[float, float]:
    """CPU seconds spent working and in all, from a ``psutil.cpu_times()`` reading."""
    fields = times._asdict()
    # Linux counts guest time inside user and nice time as well: leave it out of the total.
    total = sum(fields.values()) - fields.get("guest", 0.0) - fields.get("guest_nice", 0.0)
    # iowait is time the CPU sat idle waiting for I/O; Linux does not count it in idle.
    idle = fields.get("idle", 0.0) + fields.get("iowait", 0.0)
    return total - idle, total


class HostSampler:
    """CPU use since the previous sample, memory in use, and the disk holding ``disk_path``.

    CPU use comes from our own ``cpu_times`` baseline rather than ``psutil.cpu_percent``,
    whose baseline older psutil versions share with every other caller in the process.
    """

    cumulative: frozenset[str] = frozenset()

    def __init__(self, disk_path: str | None = None) -> None:
        self._disk_path = disk_path or os.path.abspath(os.sep)
        self._cpu = _busy_and_total(psutil.cpu_times())

    def sample(self) -> dict[str, float]:
        busy, total = _busy_and_total(psutil.cpu_times())
        busy_delta, total_delta = busy - self._cpu[0], total - self._cpu[1]
        self._cpu = (busy, total)
        cpu = 100.0 * busy_delta / total_delta if total_delta > 0 else 0.0
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(self._disk_path)
        return {
            "cpu_utilization_percentage": min(max(cpu, 0.0), 100.0),
            "system_memory_usage_megabytes": memory.used / MEGABYTE,
            "system_memory_usage_percentage": float(memory.percent),
            "disk_usage_percentage": float(disk.percent),
            "disk_usage_megabytes": disk.used / MEGABYTE,
            "disk_available_megabytes": disk.free / MEGABYTE,
        }

    def close(self) -> None:
        return None


class NetworkSampler:
    """Megabytes received and sent by every interface since the sampler started."""

    cumulative = frozenset({"network_receive_megabytes", "network_transmit_megabytes"})

    def __init__(self) -> None:
        self._start = self._counters()

    @staticmethod
    def _counters() -> tuple[int, int]:
        counters = psutil.net_io_counters()
        if counters is None:  # no network interface at all
            return 0, 0
        return counters.bytes_recv, counters.bytes_sent

    def sample(self) -> dict[str, float]:
        received, sent = self._counters()
        return {
            "network_receive_megabytes": max(received - self._start[0], 0) / MEGABYTE,
            "network_transmit_megabytes": max(sent - self._start[1], 0) / MEGABYTE,
        }

    def close(self) -> None:
        return None
