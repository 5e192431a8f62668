"""Run a callback right after a top-level module is first imported.

``runwell.autolog()`` turns on the integration of every installed library, but importing a
library only to patch it would cost the user seconds (torch, scikit-learn) for libraries the
script may never use. So a library that is not imported yet gets a callback instead, run just
after its ``import``: a finder on ``sys.meta_path`` lets the other finders locate the module
and wraps that one spec's ``loader.exec_module``; the loader object and the module are the
ones Python would have used.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

Callback = Callable[[ModuleType], None]

_callbacks: dict[str, list[Callback]] = {}
_lock = threading.RLock()
_searching: set[str] = set()


class _Finder:
    """A meta-path finder that only watches names with pending callbacks."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in _callbacks or fullname in _searching:
            return None
        _searching.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            _searching.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        _wrap_exec(spec.loader, fullname)
        return spec


def _wrap_exec(loader: Any, name: str) -> None:
    original = loader.exec_module

    def exec_module(module: ModuleType) -> None:
        try:
            original(module)
        finally:
            try:
                del loader.exec_module  # back to the class's method
            except AttributeError:
                pass
        _fire(name, module)

    loader.exec_module = exec_module


_finder = _Finder()


def _fire(name: str, module: ModuleType) -> None:
    with _lock:
        callbacks = _callbacks.pop(name, [])
        if not _callbacks and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
    for callback in callbacks:
        try:
            callback(module)
        except Exception as exc:  # the user's import must succeed whatever autolog does
            logging.getLogger("runwell.autologging").warning(
                "runwell autolog could not turn on for %s: %s: %s", name, type(exc).__name__, exc
            )


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else right after its import."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    with _lock:
        _callbacks.setdefault(name, []).append(callback)
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)


def cancel(name: str) -> None:
    """Forget the pending callbacks of ``name``."""
    with _lock:
        _callbacks.pop(name, None)
        if not _callbacks and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
