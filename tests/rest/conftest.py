"""REST client fixtures: a live runwell server per test, and tiny scripted HTTP servers.

``server`` runs the real app over a real SQLite store (artifacts proxied under tmp_path) and
points RUNWELL_TRACKING_URI at it, so the fluent API and ``RunwellClient()`` talk HTTP.
``scripted`` serves an ASGI app that answers from a script and records what it received, for
the transport's retry, auth and timeout behaviour.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import runwell
from runwell.server.app import create_app
from runwell.store import uri as uris
from runwell.store.sql.tracking import SqlTrackingStore
from runwell.tracking import fluent
from tests.live_server import serve

PROXY_ROOT = "mlflow-artifacts:"


@dataclass
class Server:
    """A live server, the store behind it and the directory its artifacts land in."""

    url: str
    store: SqlTrackingStore
    artifacts: Path


@pytest.fixture(scope="session")
def rest_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database; each server gets a copy (migrating is slow)."""
    path = tmp_path_factory.mktemp("rest-template") / "server.db"
    SqlTrackingStore(f"sqlite:///{path}", PROXY_ROOT).engine.dispose()
    return path


def _settle() -> None:
    """End active runs and deliver queued values while the server is still up."""
    try:
        while runwell.active_run() is not None:
            runwell.end_run()
        runwell.flush()
    finally:
        fluent.reset()
        uris.forget_stores()


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(
    tmp_path: Path, rest_template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StartServer]:
    """``start_server(**create_app options)``: another live server, stopped with the test."""
    # Failures in these tests are meant to be fast: few, short retries.
    monkeypatch.setenv("RUNWELL_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("RUNWELL_HTTP_REQUEST_BACKOFF_FACTOR", "0.01")
    with ExitStack() as stack:
        count = 0

        def start(**options: Any) -> Server:
            nonlocal count
            count += 1
            path = tmp_path / f"server{count}.db"
            shutil.copyfile(rest_template_db, path)
            store = SqlTrackingStore(f"sqlite:///{path}", PROXY_ROOT)
            stack.callback(store.engine.dispose)
            artifacts = tmp_path / f"server-artifacts{count}"
            url = stack.enter_context(serve(create_app(store, str(artifacts), **options)))
            stack.callback(_settle)  # runs before the server stops
            return Server(url=url, store=store, artifacts=artifacts)

        yield start


@pytest.fixture
def server(start_server: StartServer, monkeypatch: pytest.MonkeyPatch) -> Server:
    """A live server that the fluent API and ``RunwellClient()`` use (RUNWELL_TRACKING_URI)."""
    live = start_server()
    monkeypatch.setenv("RUNWELL_TRACKING_URI", live.url)
    return live


# ---------------------------------------------------------------- scripted servers


@dataclass
class Received:
    """One request as the scripted server saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, bytes]


@dataclass
class Script:
    """Answers in order (the last one repeats); ``delay`` seconds before each answer."""

    answers: list[Answer]
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(
            Received(
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"].decode(),
                headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
                body=body,
            )
        )
        status, payload = self.answers[min(len(self.received), len(self.answers)) - 1]
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"0")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], str]]:
    """``scripted(Script([...]))``: serve the script; its base URL."""
    with ExitStack() as stack:
        yield lambda script: stack.enter_context(serve(script))
