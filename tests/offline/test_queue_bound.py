"""The bound of the background logging queue: callers wait, nothing is dropped."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runwell
from runwell.entities import Metric
from runwell.errors import InvalidArgument
from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from runwell.tracking import async_logging
from tests.live_server import serve
from tests.offline.conftest import LiveServer


def _slowed(app: Any, delay: float) -> Any:
    """The real app, answering every log-batch ``delay`` seconds late (a busy server)."""

    async def slowed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/runs/log-batch"):
            await asyncio.sleep(delay)
        await app(scope, receive, send)

    return slowed


@pytest.fixture
def slow_server(tmp_path: Path, offline_template_db: Path) -> Iterator[LiveServer]:
    db = tmp_path / "slow.db"
    db.write_bytes(offline_template_db.read_bytes())
    store = SqlTrackingStore(f"sqlite:///{db}", "mlflow-artifacts:")
    try:
        with serve(_slowed(create_app(store, str(tmp_path / "artifacts")), 0.05)) as url:
            yield LiveServer(url, store, db)
    finally:
        store.engine.dispose()


def test_a_full_queue_makes_the_caller_wait_and_drops_nothing(
    slow_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_ASYNC_LOGGING_QUEUE_SIZE", "200")
    client = runwell.RunwellClient(slow_server.url)
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "loss", 0.0, step=0)
    writer = async_logging.existing_writer(client.store)
    assert writer is not None and writer.max_values == 200
    largest = 0
    for step in range(1, 5000):
        client.log_metric(run_id, "loss", float(step), step=step)
        largest = max(largest, len(writer._queue) + writer._extra)
    client.log_batch(
        run_id, metrics=[Metric(key="big", value=1.0, timestamp=i, step=i) for i in range(700)]
    )
    client.flush()
    assert largest <= 200  # never more than the bound waited in memory
    history = slow_server.store.get_metric_history(run_id, "loss").items
    assert [m.step for m in history] == list(range(5000))
    assert len(slow_server.store.get_metric_history(run_id, "big").items) == 700


def test_callers_on_many_threads_share_the_bound(
    slow_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_ASYNC_LOGGING_QUEUE_SIZE", "50")
    client = runwell.RunwellClient(slow_server.url)
    run_id = client.create_run("0").info.run_id

    def log(key: str) -> None:
        for step in range(600):
            client.log_metric(run_id, key, float(step), step=step)

    threads = [threading.Thread(target=log, args=(f"k{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.flush()
    for i in range(4):
        assert len(slow_server.store.get_metric_history(run_id, f"k{i}").items) == 600


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_bad_queue_size_is_refused_with_its_name(
    value: str, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_ASYNC_LOGGING_QUEUE_SIZE", value)
    client = runwell.RunwellClient(live_server.url)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(
        InvalidArgument, match=rf"RUNWELL_ASYNC_LOGGING_QUEUE_SIZE='{value}'.*whole number >= 1"
    ):
        client.log_metric(run_id, "m", 1.0)
