"""The contract suite's fourth backend: RestTrackingStore -> a live server -> SQLite.

Starting a server per test costs more than most contract tests, so each xdist worker runs one
server for the session, and every test gets a fresh SQLite database behind it: the server's
store is a ``SwitchableStore`` that forwards to the current test's ``SqlTrackingStore``. The
databases are copies of one migrated template (migrating takes longer than a test).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from runwell.server.app import create_app
from runwell.store.protocols import TrackingStore
from runwell.store.rest.tracking import RestTrackingStore
from runwell.store.rest.transport import Transport
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve

PROXY_ROOT = "mlflow-artifacts:"


class SwitchableStore:
    """Forwards every attribute to ``target``, the store of the test being run."""

    def __init__(self, target: SqlTrackingStore) -> None:
        self.target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


@dataclass
class RestBackend:
    """One live server of the session and the template database of its stores."""

    url: str
    template: Path
    switch: SwitchableStore

    @classmethod
    @contextmanager
    def start(cls, directory: Path) -> Iterator[RestBackend]:
        template = directory / "template.db"
        first = SqlTrackingStore(f"sqlite:///{template}", PROXY_ROOT)
        first.engine.dispose()  # checkpoints the WAL: the file alone is the database
        switch = SwitchableStore(SqlTrackingStore(f"sqlite:///{template}", PROXY_ROOT))
        app = create_app(cast(TrackingStore, switch), str(directory / "artifacts"))
        with serve(app) as url:
            yield cls(url=url, template=template, switch=switch)
        switch.target.engine.dispose()

    @contextmanager
    def fresh_store(self, directory: Path) -> Iterator[RestTrackingStore]:
        """A REST store whose server now answers from a new, empty database."""
        path = directory / "rest-backend.db"
        shutil.copyfile(self.template, path)
        previous = self.switch.target
        self.switch.target = SqlTrackingStore(f"sqlite:///{path}", PROXY_ROOT)
        previous.engine.dispose()
        # No retries: a contract test must see the server's first answer.
        transport = Transport(self.url, max_retries=0)
        try:
            yield RestTrackingStore(self.url, transport)
        finally:
            transport.close()
