"""UI fixtures: a live server over a real SQLite store with the demo data, and headless
Chromium (Debian's, launched by Playwright) for the ``browser`` tests.

The demo server is shared by a module's tests (populating it through the client takes a
second). Screenshots go to RUNWELL_UI_SCREENSHOTS when set (to look at them), else under the
session's temporary folder. Without Chromium or Playwright the browser tests skip locally with
the reason, and fail in CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell import RunwellClient
from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from runwell.store.uri import forget_stores
from tests.live_server import serve
from tests.ui.builders import Demo, populate

CHROMIUM = os.environ.get("RUNWELL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class UiServer:
    url: str
    store: SqlTrackingStore
    http: httpx.Client
    demo: Demo | None = None


def start_server(root: Path, prefix: str = "", demo: bool = True) -> Iterator[UiServer]:
    store = SqlTrackingStore(f"sqlite:///{root}/ui.db", "mlflow-artifacts:")
    app = create_app(store, str(root / "artifacts"), static_prefix=prefix)
    with serve(app) as base, httpx.Client(base_url=base + prefix, timeout=30) as http:
        server = UiServer(url=base + prefix, store=store, http=http)
        if demo:
            server.demo = populate(RunwellClient(base + prefix), root / "scratch")
            forget_stores()
        yield server
    store.engine.dispose()


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A server with the demo data, shared by the module's tests."""
    yield from start_server(tmp_path_factory.mktemp("ui"))


@pytest.fixture
def empty_ui(tmp_path: Path) -> Iterator[UiServer]:
    """A server of its own, without data."""
    yield from start_server(tmp_path, demo=False)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, shared by the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("RUNWELL_UI_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def console_error(message: Any) -> str | None:
    """A console message worth failing on: errors, except the sandbox refusing an HTML
    artifact's script (the refusal is what the tests want) and the browser's notice of an
    error status (a refused filter answers 400 on purpose; tests check statuses themselves)."""
    text = str(message.text)
    if message.type != "error" or "sandboxed" in text or text.startswith("Failed to load"):
        return None
    return text


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (1440x900) that records console errors and failed requests."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda m: tab.errors.extend(filter(None, [console_error(m)])))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
