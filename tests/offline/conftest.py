"""Offline logging fixtures: a spool directory per test, live servers, journals to sync.

``live_server`` is the real app over a real SQLite store in a thread (tests/live_server.py),
for syncs. Tests that kill and restart a server use ``server_process.Restartable`` (a
``runwell server`` child process on a fixed port) instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve


@pytest.fixture(autouse=True)
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's spool directory; failed requests give up fast (one quick retry)."""
    directory = tmp_path / "spool"
    monkeypatch.setenv("RUNWELL_SPOOL_DIR", str(directory))
    monkeypatch.setenv("RUNWELL_HTTP_REQUEST_MAX_RETRIES", "1")
    monkeypatch.setenv("RUNWELL_HTTP_REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.delenv("RUNWELL_MODE", raising=False)
    monkeypatch.delenv("RUNWELL_ASYNC_LOGGING_QUEUE_SIZE", raising=False)
    return directory


@dataclass
class LiveServer:
    url: str
    store: SqlTrackingStore
    db: Path


@pytest.fixture(scope="session")
def offline_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database; each server gets a copy (migrating is slow)."""
    path = tmp_path_factory.mktemp("offline-template") / "server.db"
    SqlTrackingStore(f"sqlite:///{path}", "mlflow-artifacts:").engine.dispose()
    return path


@pytest.fixture
def live_server(tmp_path: Path, offline_template_db: Path) -> Iterator[LiveServer]:
    db = tmp_path / "server.db"
    shutil.copyfile(offline_template_db, db)
    store = SqlTrackingStore(f"sqlite:///{db}", "mlflow-artifacts:")
    try:
        with serve(create_app(store, str(tmp_path / "server-artifacts"))) as url:
            yield LiveServer(url, store, db)
    finally:
        store.engine.dispose()
