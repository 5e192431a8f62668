"""collect_pages: reads pages until the limit or the last page, asking only for what is left."""

from __future__ import annotations

from collections.abc import Callable

from runwell.entities import Page
from runwell.tracking.paging import collect_pages


def _source(total: int) -> tuple[list[tuple[int, str | None]], Callable[..., Page[int]]]:
    calls: list[tuple[int, str | None]] = []

    def fetch(size: int, token: str | None) -> Page[int]:
        calls.append((size, token))
        start = int(token or 0)
        end = min(start + size, total)
        return Page(list(range(start, end)), str(end) if end < total else None)

    return calls, fetch


def test_reads_every_page_without_a_limit() -> None:
    calls, fetch = _source(7)
    assert collect_pages(fetch, None, 3) == list(range(7))
    assert calls == [(3, None), (3, "3"), (3, "6")]


def test_stops_at_the_limit_and_asks_only_for_the_rest() -> None:
    calls, fetch = _source(100)
    assert collect_pages(fetch, 5, 3) == [0, 1, 2, 3, 4]
    assert calls == [(3, None), (2, "3")]


def test_a_zero_limit_fetches_nothing() -> None:
    calls, fetch = _source(10)
    assert collect_pages(fetch, 0, 3) == []
    assert calls == []
