"""The safe wrapper's promises, on small classes defined here (no library involved)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from runwell.autologging import config, patching

NAME = "patching-test"


class Base:
    def train(self, value: int) -> int:
        return value + 1


class Child(Base):
    def train(self, value: int) -> int:
        if value < 0:
            raise KeyError("negative")
        return super().train(value) * 10


@pytest.fixture
def patches() -> Iterator[patching.Patches]:
    config.set_config(NAME, config.AutologConfig())
    found = patching.Patches(NAME)
    yield found
    found.undo()
    config.forget(NAME)


def test_a_hook_failing_before_the_call_still_runs_the_original_once(
    patches: patching.Patches, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def hook(original: Any, obj: Any, value: int) -> Any:
        raise RuntimeError("store is down")

    def counting(original: Any, obj: Any, value: int) -> Any:
        calls.append(value)
        return original(obj, value)

    patches.wrap(Child, "train", hook)
    patches.wrap(Base, "train", counting)
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        assert Child().train(2) == 30
    # The fallback call of Child.train stays inside the guard: Base.train is not hooked.
    assert calls == []
    assert "store is down" in caplog.records[0].getMessage()


def test_a_hook_failing_after_the_call_returns_the_originals_result(
    patches: patching.Patches,
) -> None:
    ran: list[int] = []

    def hook(original: Any, obj: Any, value: int) -> Any:
        result = original(obj, value)
        ran.append(result)
        raise ValueError("logging failed")

    patches.wrap(Child, "train", hook)
    assert Child().train(1) == 20
    assert ran == [20]  # the original ran once


def test_the_originals_exception_is_the_one_raised_even_if_the_hook_replaces_it(
    patches: patching.Patches,
) -> None:
    def hook(original: Any, obj: Any, value: int) -> Any:
        try:
            return original(obj, value)
        except KeyError:
            raise RuntimeError("cleanup failed") from None

    patches.wrap(Child, "train", hook)
    with pytest.raises(KeyError, match="negative"):
        Child().train(-1)


def test_inner_patched_calls_pass_through_and_undo_restores_inherited_attributes(
    patches: patching.Patches,
) -> None:
    seen: list[str] = []

    def hook(original: Any, obj: Any, value: int) -> Any:
        seen.append(type(obj).__name__)
        return original(obj, value)

    original = Base.__dict__["train"]
    assert patches.wrap(Base, "train", hook)
    assert patches.wrap(Child, "train", hook)
    assert not patches.wrap(Child, "train", hook)  # already wrapped
    assert Child().train(1) == 20 and Base().train(1) == 2
    assert seen == ["Child", "Base"]  # Child's super().train(...) ran unhooked

    patches.replace(Child, "extra", 5)
    patches.undo()
    assert Base.__dict__["train"] is original
    assert not patching.is_patched(Child.__dict__["train"])
    assert "extra" not in Child.__dict__


def test_a_disabled_integration_calls_the_original_directly(patches: patching.Patches) -> None:
    def hook(original: Any, obj: Any, value: int) -> Any:
        raise AssertionError("must not run")

    patches.wrap(Child, "train", hook)
    config.set_config(NAME, config.AutologConfig(disable=True))
    assert Child().train(3) == 40
