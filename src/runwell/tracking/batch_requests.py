"""How queued values are cut into ``log-batch`` requests within the server's limits."""

from __future__ import annotations

from runwell.entities import Metric, Param, RunTag
from runwell.store import validation


def param_requests(params: list[Param]) -> list[list[Param]]:
    """Params in order, at most 100 per request and a key at most once per request.

    The same key and value again is dropped (logging it again is a no-op); the same key with
    another value starts a new request, for the server to refuse on its own.
    """
    requests: list[list[Param]] = []
    current: list[Param] = []
    seen: dict[str, str] = {}
    first_values: dict[str, str] = {}
    for param in params:
        if first_values.get(param.key, None) == param.value:
            continue
        first_values.setdefault(param.key, param.value)
        if param.key in seen or len(current) == validation.MAX_PARAMS_PER_BATCH:
            requests.append(current)
            current, seen = [], {}
        current.append(param)
        seen[param.key] = param.value
    if current:
        requests.append(current)
    return requests


def metric_tag_requests(
    metrics: list[Metric], tags: list[RunTag]
) -> list[tuple[list[Metric], list[RunTag]]]:
    """Metrics and tags packed into requests of at most 1000 values (100 tags)."""
    # A key's last value (at the position of its first use): the end state of one by one.
    final = list({t.key: t for t in tags}.values())
    requests = []
    m = t = 0
    while m < len(metrics) or t < len(final):
        tag_chunk = final[t : t + validation.MAX_TAGS_PER_BATCH]
        room = validation.MAX_ENTITIES_PER_BATCH - len(tag_chunk)
        metric_chunk = metrics[m : m + min(room, validation.MAX_METRICS_PER_BATCH)]
        requests.append((metric_chunk, tag_chunk))
        m += len(metric_chunk)
        t += len(tag_chunk)
    return requests
