"""Pick the RegistryStore behind a registry URI (the tracking URI unless one is set).

As in uri.py, backends are imported inside the factory so that ``import runwell`` loads
neither SQLAlchemy nor httpx.
"""

from __future__ import annotations

import threading

from runwell.errors import InvalidArgument
from runwell.store.registry_protocol import RegistryStore
from runwell.store.uri import scheme_of

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")
_stores: dict[str, RegistryStore] = {}
_lock = threading.Lock()


def registry_store(uri: str) -> RegistryStore:
    """The registry store for ``uri`` (SQL database or http(s) server), cached per URI."""
    scheme = scheme_of(uri)
    with _lock:
        store = _stores.get(uri)
        if store is not None:
            return store
        if scheme in ("http", "https"):
            # Function-level import: keeps httpx out of `import runwell`.
            from runwell.store.rest.registry import RestRegistryStore

            store = RestRegistryStore(uri)
        elif scheme in _SQL_SCHEMES:
            # Function-level import: keeps SQLAlchemy out of `import runwell`.
            from runwell.store.sql.registry import SqlRegistryStore

            store = SqlRegistryStore(uri)
        else:
            raise InvalidArgument(
                f"Unsupported registry URI '{uri}': expected sqlite:///path, postgresql://..., "
                "mysql+pymysql://... or http(s)://host:port of a tracking server."
            )
        _stores[uri] = store
        return store


def forget_registry_stores() -> None:
    """Drop cached registry stores (uri.forget_stores() calls this, then disposes engines)."""
    with _lock:
        _stores.clear()
