"""A live server with ``--auth``: an admin, helpers for users and their HTTP clients.

def test_x(secured: Secured) -> None:
    alice = secured.user("alice")            # an httpx.Client signed in as alice (Basic)
    secured.admin.post(...)                  # the admin's client
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runwell.entities.auth import Permission
from runwell.server.app import create_app
from runwell.server.auth import AuthService
from runwell.server.auth.service import create_user
from runwell.store.sql.auth import SqlAuthStore
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve
from tests.server.conftest import Live

ADMIN = ("admin", "admin-password-1234")
PASSWORD = "a-long-enough-password"


@dataclass
class Secured:
    live: Live
    service: AuthService
    stack: ExitStack
    app: FastAPI
    admin: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.admin = self.client(*ADMIN)

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def store(self) -> SqlAuthStore:
        return self.service.store

    def client(
        self, username: str | None = None, password: str = PASSWORD, **kw: Any
    ) -> httpx.Client:
        auth = (username, password) if username else None
        client = httpx.Client(base_url=self.live.url, auth=auth, timeout=30, **kw)
        return self.stack.enter_context(client)

    def user(self, username: str, *, admin: bool = False) -> httpx.Client:
        """A new user (password PASSWORD) and a client signed in as them."""
        create_user(self.store, username, PASSWORD, is_admin=admin)
        return self.client(username)

    def token_client(self, token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return self.stack.enter_context(
            httpx.Client(base_url=self.live.url, headers=headers, timeout=30)
        )


def auth_service(db_path: Path, default: Permission = Permission.READ) -> AuthService:
    store = SqlAuthStore(f"sqlite:///{db_path}")
    if store.find_user(ADMIN[0]) is None:
        create_user(store, *ADMIN, is_admin=True)
    return AuthService.open(store.db_url, default)


@pytest.fixture
def start_secured(tmp_path: Path, template_db: Path) -> Iterator[Any]:
    """``start_secured(default=READ, **create_app options)`` -> Secured."""
    with ExitStack() as stack:
        count = 0

        def start(default: Permission = Permission.READ, **options: Any) -> Secured:
            nonlocal count
            count += 1
            path = tmp_path / f"secured{count}.db"
            shutil.copyfile(template_db, path)
            service = auth_service(path, default)
            store = SqlTrackingStore(f"sqlite:///{path}", "mlflow-artifacts:")
            artifacts = tmp_path / f"secured-artifacts{count}"
            options.setdefault("artifacts_destination", str(artifacts))
            app = create_app(store, auth=service, **options)
            base = stack.enter_context(serve(app))
            http = stack.enter_context(httpx.Client(base_url=base, timeout=30))
            live = Live(url=base, store=store, artifacts=artifacts, http=http)
            return Secured(live, service, stack, app)

        yield start


@pytest.fixture
def secured(start_secured: Any) -> Secured:
    server: Secured = start_secured()
    return server
