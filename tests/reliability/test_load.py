"""Load: 64 concurrent clients log, search and download against ``runwell server
--workers 4`` on PostgreSQL, for RUNWELL_LOAD_SECONDS (10 here, 60 in ``make load``). Loopback
only; every loop stops at the deadline. Zero errors, zero lost points; p50/p99 per operation
are printed; ``make load`` writes them to bench/results/load.json for docs/benchmarks.md.

Each client owns a run and logs batches of 50 points with unique steps; a point counts as
sent once its batch was acknowledged, and afterwards the database must hold exactly those.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from runwell.store.sql.tracking import SqlTrackingStore
from tests.scaleout.cluster import multi_worker_server, postgres_database

CLIENTS = 64
WORKERS = 4
POINTS = 50
SECONDS = float(os.environ.get("RUNWELL_LOAD_SECONDS", "10"))
ARTIFACT = bytes(range(256)) * 1024  # 256 KiB
API = "/api/2.0/mlflow"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(sys.platform != "linux", reason="reads worker sockets from /proc"),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _client(
    http: httpx.AsyncClient,
    index: int,
    run_id: str,
    experiment_id: str,
    download: str,
    until: float,
    latencies: dict[str, list[float]],
    errors: list[str],
) -> int:
    rng = random.Random(index)
    acknowledged = 0
    batch = 0
    while time.monotonic() < until:
        kind = rng.choices(("log", "search", "download"), weights=(6, 2, 2))[0]
        began = time.perf_counter()
        if kind == "log":
            base = batch * POINTS
            metrics = [
                {"key": "load", "value": index + s / 1e6, "timestamp": 1 + s, "step": s}
                for s in range(base, base + POINTS)
            ]
            response = await http.post(
                f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics}
            )
        elif kind == "search":
            body = {
                "experiment_ids": [experiment_id],
                "max_results": 50,
                "filter": "metrics.load > 0",
            }
            response = await http.post(f"{API}/runs/search", json=body)
        else:
            response = await http.get(download)
        latencies[kind].append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
        elif kind == "log":
            acknowledged += POINTS
            batch += 1
        elif kind == "download" and response.content != ARTIFACT:
            errors.append("download: wrong bytes")
    return acknowledged


def _write_results(
    path: Path,
    elapsed: float,
    latencies: dict[str, list[float]],
    counts: list[int],
    stored: list[int],
    errors: list[str],
) -> None:
    figures = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "clients": CLIENTS,
        "workers": WORKERS,
        "seconds": elapsed,
        "requests": sum(len(v) for v in latencies.values()),
        "points": sum(counts),
        "errors": len(errors),
        "lost": sum(abs(a - b) for a, b in zip(counts, stored, strict=True)),
        "operations": {
            kind: {
                "count": len(v),
                "p50_ms": _percentile(v, 0.5),
                "p99_ms": _percentile(v, 0.99),
            }
            for kind, v in latencies.items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")


async def _load(
    url: str, runs: list[str], experiment_id: str, download: str
) -> tuple[list[int], dict[str, list[float]], list[str], float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        began = time.monotonic()
        until = began + SECONDS
        counts = await asyncio.gather(
            *(
                _client(http, i, runs[i], experiment_id, download, until, latencies, errors)
                for i in range(CLIENTS)
            )
        )
        elapsed = time.monotonic() - began
    return list(counts), latencies, errors, elapsed


def test_64_clients_for_a_while_lose_nothing_and_see_no_error(tmp_path: Path) -> None:
    destination = tmp_path / "artifacts"
    with (
        postgres_database("load") as db_url,
        multi_worker_server(tmp_path, WORKERS, db_url, str(destination)) as server,
    ):
        with httpx.Client(base_url=server.url, timeout=30) as setup:
            experiment_id = setup.post(f"{API}/experiments/create", json={"name": "load"}).json()[
                "experiment_id"
            ]
            runs = [
                setup.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()[
                    "run"
                ]["info"]["run_id"]
                for _ in range(CLIENTS)
            ]
            path = f"{experiment_id}/{runs[0]}/artifacts/blob.bin"
            download = f"/api/2.0/mlflow-artifacts/artifacts/{path}"
            assert setup.put(download, content=ARTIFACT).status_code == 200
        counts, latencies, errors, elapsed = asyncio.run(
            _load(server.url, runs, experiment_id, download)
        )
        store = SqlTrackingStore(db_url, "mlflow-artifacts:")
        stored = [len(store.get_metric_history(run_id, "load").items) for run_id in runs]
    requests = sum(len(v) for v in latencies.values())
    summary = ", ".join(
        f"{kind} n={len(v)} p50={_percentile(v, 0.5):.1f} ms p99={_percentile(v, 0.99):.1f} ms"
        for kind, v in sorted(latencies.items())
    )
    print(
        f"load: {CLIENTS} clients, {elapsed:.0f} s, {requests} requests "
        f"({requests / elapsed:.0f}/s), {sum(counts)} points; {summary}"
    )
    results = os.environ.get("RUNWELL_LOAD_RESULTS")
    if results:  # make load: the figures for docs/benchmarks.md (bench/report.py)
        _write_results(Path(results), elapsed, latencies, counts, stored, errors)
    assert errors == [], errors[:10]
    assert stored == counts, "points lost or doubled"
    assert sum(counts) > 0 and all(len(latencies[k]) > 0 for k in ("log", "search", "download"))
