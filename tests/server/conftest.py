"""Server fixtures: a real uvicorn server on a loopback port over a real SQLite store.

``live`` is the default server (artifacts proxied to ``tmp_path/artifacts``); ``start_live``
starts one with other ``create_app`` options. Both are torn down with the test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve


@dataclass
class Live:
    """A running server, the store behind it and an HTTP client of it."""

    url: str
    store: SqlTrackingStore
    artifacts: Path
    http: httpx.Client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Any = None,
        prefix: str = "/api/2.0",
    ) -> httpx.Response:
        """``method prefix+path`` with a JSON body (when given) or query parameters."""
        return self.http.request(method, prefix + path, json=body, params=params)

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """The JSON of a call that must succeed."""
        response = self.call(method, path, body, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def fails(
        self, method: str, path: str, body: Any, status: int, code: str, **kwargs: Any
    ) -> str:
        """The message of a call that must fail with ``status`` and ``error_code``."""
        response = self.call(method, path, body, **kwargs)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        payload = response.json()
        assert payload["error_code"] == code, payload
        return str(payload["message"])


StartLive = Callable[..., Live]
PROXY_ROOT = "mlflow-artifacts:"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once per session; tests get copies (migrating is slow)."""
    path = tmp_path_factory.mktemp("template") / "server.db"
    SqlTrackingStore(f"sqlite:///{path}", PROXY_ROOT).engine.dispose()
    return path


@pytest.fixture
def start_live(tmp_path: Path, template_db: Path) -> Iterator[StartLive]:
    """Start a server: ``start_live(db_url=None, **create_app options)``."""
    with ExitStack() as stack:
        count = 0

        def start(db_url: str | None = None, **options: Any) -> Live:
            nonlocal count
            count += 1
            root = options.pop("artifact_root", PROXY_ROOT)
            if db_url is None:
                path = tmp_path / f"server{count}.db"
                if root == PROXY_ROOT:
                    shutil.copyfile(template_db, path)
                db_url = f"sqlite:///{path}"
            store = SqlTrackingStore(db_url, root)
            artifacts = tmp_path / f"artifacts{count}"
            options.setdefault("artifacts_destination", str(artifacts))
            base = stack.enter_context(serve(create_app(store, **options)))
            http = stack.enter_context(httpx.Client(base_url=base, timeout=30))
            return Live(url=base, store=store, artifacts=artifacts, http=http)

        yield start


@pytest.fixture
def live(start_live: StartLive) -> Live:
    """The default server: SQLite store, artifacts proxied under tmp_path."""
    return start_live()
