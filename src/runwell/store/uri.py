"""Pick the store behind a tracking URI, and the artifact repository behind an artifact URI.

The backends are imported inside the factories: ``import runwell`` must not load SQLAlchemy.
This is the one sanctioned place for function-level imports.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from runwell.errors import InvalidArgument
from runwell.store.protocols import ArtifactRepo, TrackingStore

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")
_stores: dict[tuple[str, str], TrackingStore] = {}
_lock = threading.Lock()


def default_tracking_uri(cwd: str | None = None) -> str:
    """``sqlite:///<cwd>/runwell.db``: the embedded store in the working directory."""
    return "sqlite:///" + str(Path(cwd or os.getcwd(), "runwell.db"))


def default_artifact_root(tracking_uri: str) -> str:
    """``runwell-artifacts/`` beside an SQLite file, else in the working directory."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme == "sqlite":
        db_path = Path(_sqlite_path(tracking_uri))
        return Path(db_path.parent, "runwell-artifacts").resolve().as_uri()
    return Path(os.getcwd(), "runwell-artifacts").resolve().as_uri()


def _sqlite_path(uri: str) -> str:
    return uri.split(":///", 1)[1] if ":///" in uri else ""


def scheme_of(uri: str) -> str:
    return urlparse(uri).scheme.split("+", 1)[0].lower()


def tracking_store(uri: str, artifact_root: str | None = None) -> TrackingStore:
    """The store for ``uri``, cached per (uri, artifact root) in this process."""
    scheme = scheme_of(uri)
    if scheme not in _SQL_SCHEMES:
        raise InvalidArgument(
            f"Unsupported tracking URI '{uri}': expected sqlite:///path, postgresql://..., "
            "mysql+pymysql://... (http(s):// arrives with the tracking server)."
        )
    root = artifact_root or default_artifact_root(uri)
    with _lock:
        store = _stores.get((uri, root))
        if store is None:
            # Function-level import: keeps SQLAlchemy out of `import runwell`.
            from runwell.store.sql.tracking import SqlTrackingStore

            store = SqlTrackingStore(uri, root)
            _stores[(uri, root)] = store
        return store


def forget_stores() -> None:
    """Drop cached stores and their connection pools (tests, after fork)."""
    with _lock:
        _stores.clear()
    import sys

    engine_module = sys.modules.get("runwell.store.sql.engine")
    if engine_module is not None:
        engine_module.dispose_all()


def local_path(uri: str) -> str | None:
    """The filesystem path of a ``file:`` URI or plain path; None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise InvalidArgument(f"Unsupported file URI with a host: '{uri}'.")
        return unquote(parsed.path)
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        return uri
    return None


def artifact_repo(uri: str) -> ArtifactRepo:
    """The artifact repository for an artifact root URI."""
    path = local_path(uri)
    if path is not None:
        from runwell.store.artifacts.local import LocalArtifactRepo

        return LocalArtifactRepo(uri)
    raise InvalidArgument(
        f"Unsupported artifact URI '{uri}': only local paths and file:// URIs are supported "
        "by this version."
    )
