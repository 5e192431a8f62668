"""Request counters and a latency histogram, rendered as Prometheus text on ``/metrics``.

Plain dicts and ints updated on the event loop (one thread), so no locks and no dependency on
prometheus_client. Each uvicorn worker process keeps its own figures, as Prometheus' multi-process
exporters do without shared memory; scrape each worker or run one worker per container.
"""

from __future__ import annotations

import bisect

# Seconds; fine-grained under 10 ms, where a healthy 1-row request lands.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Histogram:
    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last slot is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def render(self, name: str, labels: str = "") -> list[str]:
        lines = []
        running = 0
        sep = "," if labels else ""
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            lines.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {running}')
        suffix = f"{{{labels}}}" if labels else ""
        lines.append(f"{name}_sum{suffix} {self.sum!r}")
        lines.append(f"{name}_count{suffix} {running}")
        return lines


class ScoringMetrics:
    """What ``/metrics`` reports: requests by path and status, latency, predict calls, batches."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[str, _Histogram] = {}
        self.predict_calls = 0
        self.batch_sizes = _Histogram(tuple(float(b) for b in BATCH_BUCKETS))

    def observe_request(self, path: str, status: int, seconds: float) -> None:
        key = (path, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.latency.get(path)
        if histogram is None:
            histogram = self.latency[path] = _Histogram(LATENCY_BUCKETS)
        histogram.observe(seconds)

    def observe_predict(self, requests_in_call: int) -> None:
        self.predict_calls += 1
        self.batch_sizes.observe(float(requests_in_call))

    def render(self) -> bytes:
        lines = [
            "# HELP runwell_scoring_requests_total HTTP requests answered, by path and status.",
            "# TYPE runwell_scoring_requests_total counter",
        ]
        for (path, status), count in sorted(self.requests.items()):
            lines.append(
                f'runwell_scoring_requests_total{{path="{path}",status="{status}"}} {count}'
            )
        lines += [
            "# HELP runwell_scoring_request_duration_seconds Time from request to response.",
            "# TYPE runwell_scoring_request_duration_seconds histogram",
        ]
        for path, histogram in sorted(self.latency.items()):
            lines += histogram.render("runwell_scoring_request_duration_seconds", f'path="{path}"')
        lines += [
            "# HELP runwell_scoring_predict_calls_total Calls to the model's predict.",
            "# TYPE runwell_scoring_predict_calls_total counter",
            f"runwell_scoring_predict_calls_total {self.predict_calls}",
            "# HELP runwell_scoring_batch_requests Requests served by one predict call.",
            "# TYPE runwell_scoring_batch_requests histogram",
            *self.batch_sizes.render("runwell_scoring_batch_requests"),
        ]
        return ("\n".join(lines) + "\n").encode()
