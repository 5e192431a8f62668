"""Reading a search through its pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from runwell.entities import Page

T = TypeVar("T")


def collect_pages(
    fetch: Callable[[int, str | None], Page[T]], limit: int | None, page_size: int
) -> list[T]:
    """Items of ``fetch(size, token)`` pages, until ``limit`` items (None: all) or the last page."""
    found: list[T] = []
    token: str | None = None
    while limit is None or len(found) < limit:
        size = page_size if limit is None else min(page_size, limit - len(found))
        page = fetch(size, token)
        found.extend(page.items)
        token = page.token
        if token is None:
            break
    return found
