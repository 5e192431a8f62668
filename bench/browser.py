"""Page timings in headless Chromium (Playwright driving Debian's /usr/bin/chromium).

Imported by both side scripts (each virtualenv has playwright). ``time_page`` opens a URL in a
fresh browser context (an empty HTTP cache: a first visit) and returns, in ms since the
navigation started (the page's time origin), when a condition first held, polled on every
animation frame, plus whatever the page's performance marks say; with ``again`` it loads the
page a second time in the same context (a returning visitor, files from the cache) and adds
those figures as ``again:<name>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 120_000


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _measure(
    page: Any, url: str, ready: str, marks: Sequence[str], resources: Sequence[str], prefix: str
) -> dict[str, float]:
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => {ready}", polling="raf", timeout=TIMEOUT_MS)
    out = {prefix + "ready": float(page.evaluate("performance.now()"))}
    for mark in marks:
        page.wait_for_function(
            f"() => performance.getEntriesByName({mark!r}).length > 0", timeout=TIMEOUT_MS
        )
        found = page.evaluate(f"performance.getEntriesByName({mark!r})[0].startTime")
        out[prefix + mark] = float(found)
    for resource in resources:
        out[prefix + resource] = float(
            page.evaluate(
                "(needle) => { const r = performance.getEntriesByType('resource')"
                ".filter(e => e.name.includes(needle)); "
                "return r.length ? r[0].responseEnd - r[0].requestStart : -1; }",
                resource,
            )
        )
    return out


def time_page(
    browser: Any,
    url: str,
    ready: str,
    marks: Sequence[str] = (),
    resources: Sequence[str] = (),
    again: bool = False,
) -> dict[str, float]:
    """``{"ready": ms, <mark>: ms, <resource>: ms}`` for one cold load of ``url``.

    ``ready`` is a JavaScript expression polled every frame; ``marks`` are performance marks
    the page sets; ``resources`` are substrings of request URLs whose duration (request start
    to response end) is reported.
    """
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        out = _measure(page, url, ready, marks, resources, "")
        if again:
            out |= _measure(page, url, ready, marks, resources, "again:")
        return out
    finally:
        context.close()
