"""A small HTTP/1.1 load generator: N keep-alive connections POSTing JSON bodies in a loop.

Standard library only (asyncio streams), so both side scripts drive their server with exactly
the same client. Each connection sends a request, reads the whole response, and sends the next;
the latency of every request is kept for percentiles.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _connection(
    host: str,
    port: int,
    request: Callable[[], bytes],
    until: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            data = request()
            began = time.perf_counter()
            writer.write(data)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - began) * 1000)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


def post_loop(
    url: str, path: str, body: Callable[[int], bytes], connections: int, seconds: float
) -> LoadResult:
    """POST ``body(n)`` (n counts requests from 0) to ``url + path`` on ``connections``
    connections for ``seconds``; building a body is not timed as latency."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        "Connection: keep-alive\r\nContent-Length: "
    ).encode()
    sent = [0]

    def request() -> bytes:
        payload = body(sent[0])
        sent[0] += 1
        return head + str(len(payload)).encode() + b"\r\n\r\n" + payload

    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(
            *(
                _connection(host, port, request, until, latencies, errors)
                for _ in range(connections)
            )
        )
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    return LoadResult(len(latencies), elapsed, latencies, len(errors))
