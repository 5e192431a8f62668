"""Webhook fixtures: a live runwell server over SQLite and real HTTP receivers on loopback.

``receiver`` is a threaded ``http.server`` on 127.0.0.1 that records every POST and answers
from a script (``answers``: statuses to give in turn, the last one repeated; ``delay_s``
before answering; ``tls``: serve HTTPS as ``localhost``). Loopback is a private address, so
the fixtures allow 127.0.0.1 the way an admin would, with RUNWELL_WEBHOOK_ALLOWED_HOSTS;
retries wait 10 ms instead of seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve

# The --auth server of tests/server/auth (test_auth.py), whose fixtures need the server
# template database.
from tests.server.auth.conftest import secured, start_secured  # noqa: F401
from tests.server.conftest import template_db  # noqa: F401

LOOPBACK = "127.0.0.1"


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signature_is_valid(self, secret: str) -> bool:
        """The test's own check of MLflow's signature scheme (v1, HMAC-SHA256, base64)."""
        delivery_id = self.headers["x-mlflow-delivery-id"]
        timestamp = self.headers["x-mlflow-timestamp"]
        signed = f"{delivery_id}.{timestamp}.".encode() + self.body
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        return hmac.compare_digest(self.headers.get("x-mlflow-signature", ""), expected)


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=lambda: [200])
    delay_s: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, delivery: Delivery) -> int:
        with self._changed:
            self.deliveries.append(delivery)
            self._changed.notify_all()
            index = min(len(self.deliveries), len(self.answers)) - 1
            return self.answers[index]

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Delivery]:
        """The first ``count`` deliveries, waiting up to ``timeout_s`` for them."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.deliveries)} deliveries, expected {count}")
                self._changed.wait(left)
            return list(self.deliveries[:count])


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.record(Delivery(self.path, headers, body))
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            reply = f"answer {status}".encode()
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the sender gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def make(
        answers: list[int] | None = None, delay_s: float = 0.0, tls: ssl.SSLContext | None = None
    ) -> Receiver:
        receiver = Receiver(url="", answers=answers or [200], delay_s=delay_s)
        server = http.server.ThreadingHTTPServer((LOOPBACK, 0), _handler(receiver))
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        scheme, host = ("https", "localhost") if tls else ("http", LOOPBACK)
        receiver.url = f"{scheme}://{host}:{server.server_address[1]}/hook"
        return receiver

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(make_receiver: Callable[..., Receiver]) -> Receiver:
    return make_receiver()


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS", LOOPBACK)
    monkeypatch.setenv("RUNWELL_WEBHOOK_BACKOFF_S", "0.01")
    monkeypatch.setenv("RUNWELL_WEBHOOK_REQUEST_TIMEOUT", "5")
    # Model versions in these tests point at a placeholder bucket.
    monkeypatch.setenv("RUNWELL_ALLOWED_MODEL_SOURCES", "s3://bucket/")


@dataclass
class Server:
    url: str
    http: httpx.Client

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.http.request(method, "/api/2.0/mlflow" + path, json=body, **kw)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def fails(self, method: str, path: str, body: Any, status: int, code: str) -> str:
        response = self.call(method, path, body)
        assert response.status_code == status, response.text
        assert response.json()["error_code"] == code, response.text
        return str(response.json()["message"])

    def create(self, url: str, events: list[tuple[str, str]], **fields: Any) -> Any:
        body = {
            "name": fields.pop("name", "hook"),
            "url": url,
            "events": [{"entity": e, "action": a} for e, a in events],
            **fields,
        }
        return self.ok("POST", "/webhooks", body)["webhook"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/server.db", (tmp_path / "a").as_uri())
    with (
        serve(create_app(store, str(tmp_path / "artifacts"))) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield Server(url, client)
