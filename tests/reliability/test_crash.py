"""SIGKILL the server in the middle of sustained ``log-batch`` ingest, on SQLite and on
PostgreSQL, and restart it: the store opens cleanly, every batch the server acknowledged is
there exactly once, and a batch it never acknowledged is there whole or not at all.

Four client threads each log batches of 100 points into their own run (steps numbered by
batch, so each point says which batch it came from); the server is killed after a random
short while, several times over, and the checks run against the database directly.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from runwell.store.sql.tracking import SqlTrackingStore
from tests.offline.server_process import Restartable
from tests.scaleout.cluster import postgres_database

THREADS = 4
BATCH = 100
KILLS = 3
LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged: (thread, batch number)."""

    sent: set[tuple[int, int]] = field(default_factory=set)
    acknowledged: set[tuple[int, int]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _points(thread: int, batch: int) -> list[dict[str, object]]:
    base = batch * BATCH
    return [
        {
            "key": "loss",
            "value": thread + (base + i) / 1e6,
            "timestamp": 1_000 + base + i,
            "step": base + i,
        }
        for i in range(BATCH)
    ]


def _ingest(
    url: str, run_id: str, thread: int, first_batch: int, ledger: Ledger, stop: threading.Event
) -> None:
    batch = first_batch
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            with ledger.lock:
                ledger.sent.add((thread, batch))
            try:
                response = client.post(
                    LOG_BATCH, json={"run_id": run_id, "metrics": _points(thread, batch)}
                )
            except httpx.TransportError:
                return  # the server is gone
            if response.status_code != 200:
                raise AssertionError(response.text)
            with ledger.lock:
                ledger.acknowledged.add((thread, batch))
            batch += 1


def _cycle(server: Restartable, runs: list[str], ledger: Ledger, rng: random.Random) -> int:
    """Ingest until a random moment, SIGKILL, join the clients; batches acknowledged."""
    stop = threading.Event()
    first = 1 + max((b for _t, b in ledger.sent), default=-1)
    threads = [
        threading.Thread(target=_ingest, args=(server.url, runs[t], t, first, ledger, stop))
        for t in range(THREADS)
    ]
    before = len(ledger.acknowledged)
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(ledger.acknowledged) - before < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.05, 0.6))
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(30)
    return len(ledger.acknowledged) - before


def _check(db_url: str, runs: list[str], ledger: Ledger) -> None:
    store = SqlTrackingStore(db_url, "mlflow-artifacts:")  # opens: the schema is intact
    for thread, run_id in enumerate(runs):
        steps = Counter(m.step for m in store.get_metric_history(run_id, "loss").items)
        duplicated = [s for s, n in steps.items() if n > 1]
        assert duplicated == [], f"thread {thread}: points stored twice: {duplicated[:10]}"
        batches = Counter(step // BATCH for step in steps)
        for batch, count in batches.items():
            assert (thread, batch) in ledger.sent, (thread, batch)
            assert count == BATCH, f"thread {thread} batch {batch}: {count} of {BATCH} points"
        for sent_thread, batch in ledger.acknowledged:
            if sent_thread == thread:
                assert batches.get(batch) == BATCH, f"acknowledged batch {batch} is missing"


def _crash_and_recover(directory: Path, db_url: str, seed: int) -> tuple[int, int]:
    server = Restartable(directory, db_url)
    ledger = Ledger()
    rng = random.Random(seed)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            runs = [
                client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()[
                    "run"
                ]["info"]["run_id"]
                for _ in range(THREADS)
            ]
        acknowledged = 0
        for _ in range(KILLS):
            acknowledged += _cycle(server, runs, ledger, rng)
            server.start()  # restart on the same database
            _check(db_url, runs, ledger)
        return KILLS, acknowledged
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/crash.db"
        return
    with postgres_database("crash") as url:
        yield url


@pytest.mark.slow
def test_sigkill_mid_ingest_loses_no_acknowledged_batch_and_doubles_none(
    crash_db: str, tmp_path: Path
) -> None:
    kills, acknowledged = _crash_and_recover(tmp_path, crash_db, seed=9)
    print(f"crash: {kills} SIGKILLs, {acknowledged} acknowledged batches of {BATCH}, all intact")
    assert acknowledged >= kills * 20
