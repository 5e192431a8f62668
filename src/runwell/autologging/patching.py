"""Safe patches: wrap a library's method or function so that autolog can never break the call.

``Patches(integration).wrap(owner, name, hook)`` replaces ``owner.<name>`` with a wrapper that
calls ``hook(original, *args, **kwargs)``. The hook does the autolog work around a call of
``original`` (which it must call at most once and whose result it must return). The wrapper
keeps three promises:

- An exception raised by ``original`` (the user's training failing) propagates unchanged, the
  same object with its traceback, whatever the hook does with it.
- An exception raised by the hook itself (autolog's own bug, a store that is down) is logged as
  a warning once per distinct message and swallowed: if ``original`` already returned, its
  result is returned; if it was never called, it is called now.
- Re-entrancy: while a patched call runs in a thread, every patched call it makes in that
  thread (a ``Pipeline.fit`` calling each step's ``fit``, a ``GridSearchCV`` fitting clones,
  training metrics calling ``predict``) goes straight to ``original``. Only the outermost call
  is autologged, across all integrations.

``Patches.undo()`` puts every original back (``autolog(disable=True)``): a class attribute
that was inherited before patching is deleted again, so the class is exactly as it was.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from runwell.autologging import config

logger = logging.getLogger("runwell.autologging")

Hook = Callable[..., Any]

_MISSING = object()
_ORIGINAL = "__runwell_autolog_original__"


class _Depth(threading.local):
    value = 0


_depth = _Depth()


def in_autolog_call() -> bool:
    """Whether this thread is inside a patched call (whose inner calls are not autologged)."""
    return _depth.value > 0


@contextmanager
def autolog_call() -> Iterator[None]:
    """Mark this thread as inside a patched call (patched calls made meanwhile pass through)."""
    _depth.value += 1
    try:
        yield
    finally:
        _depth.value -= 1


# ---------------------------------------------------------------- warnings

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def warn(integration: str, message: str, *args: Any) -> None:
    """Log a warning from autolog, unless the integration is silent; each message once."""
    found = config.get_config(integration)
    if found is not None and found.silent:
        return
    text = message % args if args else message
    with _warned_lock:
        if (integration, text) in _warned:
            return
        _warned.add((integration, text))
    logger.warning("%s", text)


def reset_warnings() -> None:
    """Forget which messages were already logged (each is logged once again)."""
    with _warned_lock:
        _warned.clear()


def report_failure(integration: str, what: str, error: BaseException) -> None:
    """An error inside autolog's own code: one warning per distinct error, training goes on."""
    warn(
        integration,
        "runwell autolog (%s) failed while %s and skipped it: %s: %s",
        integration,
        what,
        type(error).__name__,
        error,
    )


# ---------------------------------------------------------------- the wrapper


class _Tracked:
    """``original`` as the hook sees it: remembers whether it ran and how it ended."""

    __slots__ = ("called", "error", "function", "result")

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.called = False
        self.result: Any = None
        self.error: BaseException | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.called = True
        try:
            self.result = self.function(*args, **kwargs)
        except BaseException as exc:
            self.error = exc
            raise
        return self.result


def safe_wrapper(integration: str, original: Callable[..., Any], hook: Hook) -> Any:
    """The function that replaces ``original``: see the module docstring for its promises."""

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _depth.value or not config.is_enabled(integration):
            return original(*args, **kwargs)
        tracked = _Tracked(original)
        _depth.value += 1
        try:
            try:
                return hook(tracked, *args, **kwargs)
            except BaseException as exc:
                if tracked.error is not None:
                    if exc is tracked.error:
                        raise
                    raise tracked.error from None
                if not isinstance(exc, Exception):
                    raise  # KeyboardInterrupt, SystemExit: never swallowed
                report_failure(integration, f"handling {_name(original)}", exc)
            # Still inside the guard: the inner calls of the original stay unpatched.
            return tracked.result if tracked.called else original(*args, **kwargs)
        finally:
            _depth.value -= 1

    setattr(wrapper, _ORIGINAL, original)
    return wrapper


def _name(function: Callable[..., Any]) -> str:
    return str(getattr(function, "__qualname__", getattr(function, "__name__", "a call")))


def is_patched(function: Any) -> bool:
    return hasattr(function, _ORIGINAL)


def unwrapped(function: Any) -> Any:
    """The original behind a wrapper (the object itself when it is not one)."""
    return getattr(function, _ORIGINAL, function)


# ---------------------------------------------------------------- patch bookkeeping


@dataclass(frozen=True)
class _Patch:
    owner: Any
    name: str
    previous: Any  # the raw attribute in owner.__dict__, or _MISSING when it was inherited


class Patches:
    """The patches one integration made, so ``undo`` can restore every original."""

    def __init__(self, integration: str) -> None:
        self.integration = integration
        self._patches: list[_Patch] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._patches)

    def wrap(self, owner: Any, name: str, hook: Hook) -> bool:
        """Wrap the function ``owner.<name>`` (a class's own method or a module's function).

        Returns False, leaving it alone, when the attribute is not a plain function or is
        already wrapped.
        """
        raw = _own_attribute(owner, name)
        target = getattr(owner, name, None) if raw is _MISSING else raw
        if not callable(target) or isinstance(target, (staticmethod, classmethod, type)):
            return False
        if is_patched(target):
            return False
        with self._lock:
            setattr(owner, name, safe_wrapper(self.integration, target, hook))
            self._patches.append(_Patch(owner, name, raw))
        return True

    def replace(self, owner: Any, name: str, value: Any) -> None:
        """Set ``owner.<name>`` to ``value`` (not a safe wrapper: the caller makes it safe)."""
        with self._lock:
            self._patches.append(_Patch(owner, name, _own_attribute(owner, name)))
            setattr(owner, name, value)

    def undo(self) -> None:
        """Restore every original, newest patch first."""
        with self._lock:
            patches, self._patches = self._patches, []
        for patch in reversed(patches):
            if patch.previous is _MISSING:
                try:
                    delattr(patch.owner, patch.name)
                except AttributeError:
                    pass
            else:
                setattr(patch.owner, patch.name, patch.previous)


def _own_attribute(owner: Any, name: str) -> Any:
    namespace = getattr(owner, "__dict__", None)
    if namespace is None or name not in namespace:
        return _MISSING
    return namespace[name]
