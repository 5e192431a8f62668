"""System metrics of a run: CPU, memory, disk, network and NVIDIA GPUs, as ``system/*``.

``start_run(log_system_metrics=True)``, ``runwell.enable_system_metrics_logging()`` or
RUNWELL_ENABLE_SYSTEM_METRICS_LOGGING=true start a ``SystemMetricsMonitor`` with the run;
``end_run`` stops it. ``import runwell`` does not load this package (nor psutil).
"""

from runwell.system_metrics.gpu import NvmlSampler
from runwell.system_metrics.monitor import MonitorSettings, SystemMetricsMonitor
from runwell.system_metrics.samplers import HostSampler, NetworkSampler, Sampler

__all__ = [
    "HostSampler",
    "MonitorSettings",
    "NetworkSampler",
    "NvmlSampler",
    "Sampler",
    "SystemMetricsMonitor",
]
