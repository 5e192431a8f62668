"""Turning integrations on and off: ``runwell.autolog()`` and ``runwell.<flavor>.autolog()``.

An integration is an ``Integration`` subclass in its own module, listed in ``MODULES``; its
module exposes it as ``INTEGRATION``. Turning one on stores its settings (config.py), checks
the installed library's version (versions.py) and, the first time, lets it install its patches
(patching.py); turning it off undoes them. ``autolog()`` does this for every integration whose
library is installed: at once for a library already imported, and right after its import for
the others (import_hooks.py), so it never imports a library the script does not use.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import importlib
import importlib.util
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import Any, ClassVar

from runwell.autologging import config, import_hooks, patching, versions
from runwell.errors import InvalidArgument

# name -> module defining INTEGRATION; add a line here for a new library.
MODULES = {
    "sklearn": "runwell.autologging.sklearn",
    "xgboost": "runwell.autologging.xgboost",
    "lightgbm": "runwell.autologging.lightgbm",
    "pytorch": "runwell.autologging.pytorch",
    "pytorch_lightning": "runwell.autologging.pytorch_lightning",
}


class Integration(abc.ABC):
    """One library's autologging.

    Subclasses set ``name`` (the settings key and the ``mlflow.autologging`` tag value),
    ``library`` (its import name), ``extra_defaults`` (its own options) and implement
    ``install``.
    """

    name: ClassVar[str]
    library: ClassVar[str]
    extra_defaults: ClassVar[Mapping[str, Any]] = {}

    @abc.abstractmethod
    def install(self, patches: patching.Patches, module: ModuleType) -> None:
        """Add the library's patches to ``patches`` (``patches.wrap(owner, name, hook)``)."""

    def check(self, settings: config.AutologConfig) -> None:  # noqa: B027 (optional)
        """Reject bad values of the integration's own options (raise InvalidArgument)."""

    def version(self, module: ModuleType) -> str:
        return str(getattr(module, "__version__", "0"))


_lock = threading.RLock()
_installed: dict[str, patching.Patches] = {}


def get(name: str) -> Integration:
    """The integration called ``name`` (its module is imported; the library is not)."""
    module_name = MODULES.get(name)
    if module_name is None:
        raise InvalidArgument(
            f"Unknown autolog integration '{name}': expected one of {', '.join(sorted(MODULES))}."
        )
    found: Integration = importlib.import_module(module_name).INTEGRATION
    return found


def configure(name: str, options: Mapping[str, Any]) -> None:
    """``runwell.<flavor>.autolog(**options)``: store the settings, patch or unpatch now."""
    integration = get(name)
    settings = config.build(name, options, integration.extra_defaults)
    integration.check(settings)
    config.set_config(name, settings)
    if settings.disable:
        import_hooks.cancel(integration.library)
        uninstall(name)
        return
    turn_on(integration, importlib.import_module(integration.library))


def turn_on(integration: Integration, module: ModuleType) -> bool:
    """Patch the library (once) if its version is supported; whether autolog is on for it."""
    problem = versions.unsupported_message(integration.library, integration.version(module))
    with _lock:
        if problem is not None:
            uninstall(integration.name)
            settings = config.get_config(integration.name) or config.AutologConfig()
            patching.warn(integration.name, problem)
            config.set_config(integration.name, dataclasses.replace(settings, disable=True))
            return False
        if integration.name not in _installed:
            patches = patching.Patches(integration.name)
            try:
                integration.install(patches, module)
            except BaseException:
                patches.undo()
                raise
            _installed[integration.name] = patches
    return True


def uninstall(name: str) -> None:
    """Undo every patch of the integration (its settings stay)."""
    with _lock:
        patches = _installed.pop(name, None)
    if patches is not None:
        patches.undo()


def is_installed(name: str) -> bool:
    return name in _installed


def autolog_all(options: Mapping[str, Any]) -> None:
    """``runwell.autolog(**options)``: every integration whose library is installed."""
    for name in MODULES:
        integration = get(name)
        try:
            installed = importlib.util.find_spec(integration.library) is not None
        except (ImportError, ValueError):
            installed = False
        if not installed:
            continue
        settings = config.build(name, options, integration.extra_defaults)
        config.set_config(name, settings)
        if settings.disable:
            import_hooks.cancel(integration.library)
            uninstall(name)
            continue
        import_hooks.when_imported(
            integration.library, functools.partial(_turn_on_quietly, integration)
        )


def _turn_on_quietly(integration: Integration, module: ModuleType) -> None:
    try:
        turn_on(integration, module)
    except Exception as exc:
        patching.report_failure(integration.name, "turning on", exc)
