"""The collector pause used by bulk reads restores the collector's state exactly."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from runwell.store.gc_pause import paused_gc


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_pauses_and_restores() -> None:
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_restores_after_an_error() -> None:
    gc.enable()
    with pytest.raises(ValueError, match="boom"), paused_gc():
        raise ValueError("boom")
    assert gc.isenabled()


def test_overlapping_threads_reenable_once_both_are_done() -> None:
    gc.enable()
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with paused_gc():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    with paused_gc():
        pass
    assert not gc.isenabled()  # the worker still holds its pause
    release.set()
    worker.join(5)
    assert gc.isenabled()
