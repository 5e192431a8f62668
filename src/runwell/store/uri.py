"""Pick the store behind a tracking URI, and the artifact repository behind an artifact URI.

The backends are imported inside the factories: ``import runwell`` must not load SQLAlchemy.
This is the one sanctioned place for function-level imports.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from runwell import env
from runwell.errors import InvalidArgument
from runwell.store.protocols import ArtifactRepo, TrackingStore

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")
_HTTP_SCHEMES = ("http", "https")
MLFLOW_ARTIFACTS_SCHEME = "mlflow-artifacts"
_ARTIFACTS_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"
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
    if scheme in _HTTP_SCHEMES:
        with _lock:
            store = _stores.get((uri, ""))
            if store is None:
                # Function-level import: keeps httpx out of `import runwell`.
                from runwell.store.rest.tracking import RestTrackingStore

                store = _stores[(uri, "")] = RestTrackingStore(uri)
            return store
    if scheme not in _SQL_SCHEMES:
        raise InvalidArgument(
            f"Unsupported tracking URI '{uri}': expected sqlite:///path, postgresql://..., "
            "mysql+pymysql://... or http(s)://host:port of a tracking server."
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


def offline_store(uri: str) -> TrackingStore:
    """The journal store of RUNWELL_MODE=offline for runs meant for ``uri``, cached per
    (uri, spool directory): runs are written to journals and uploaded by ``runwell sync``."""
    from runwell.store.journal import spool
    from runwell.store.journal.tracking import JournalTrackingStore

    directory = spool.spool_dir()
    key = ("offline:" + uri, str(directory))
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = JournalTrackingStore(uri, directory)
        return store


def forget_stores() -> None:
    """Drop cached stores (tracking and registry) and their connection pools (tests, after
    fork)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    import sys

    journal_module = sys.modules.get("runwell.store.journal.tracking")
    for store in stores:
        if journal_module is not None and isinstance(store, journal_module.JournalTrackingStore):
            store.close()  # releases the journals' writer locks

    registry_module = sys.modules.get("runwell.store.registry_uri")
    if registry_module is not None:  # its stores hold engines disposed below
        registry_module.forget_registry_stores()
    engine_module = sys.modules.get("runwell.store.sql.engine")
    if engine_module is not None:
        engine_module.dispose_all()
    transport_module = sys.modules.get("runwell.store.rest.transport")
    if transport_module is not None:
        transport_module.close_transports()
    s3_module = sys.modules.get("runwell.store.artifacts.s3")
    if s3_module is not None:
        s3_module.forget_clients()


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


def resolve_proxied_uri(uri: str, tracking_uri: str | None) -> str:
    """The HTTP URL of a ``mlflow-artifacts:`` URI, on the tracking server (reference §6).

    ``mlflow-artifacts:/<p>`` becomes ``<scheme>://<tracking host><tracking path>/api/2.0/
    mlflow-artifacts/artifacts/<p>``; a host in the URI (``mlflow-artifacts://h:5000/<p>``)
    replaces the tracking host.
    """
    tracking = urlparse(tracking_uri or "")
    if tracking.scheme not in _HTTP_SCHEMES:
        raise InvalidArgument(
            f"Cannot resolve '{uri}': mlflow-artifacts: URIs are served by a tracking server, "
            f"and the tracking URI '{tracking_uri}' is not http(s)://. Set the tracking URI "
            "to the server that logged the run."
        )
    parsed = urlparse(uri)
    host = parsed.netloc or tracking.netloc
    return (
        f"{tracking.scheme}://{host}{tracking.path.rstrip('/')}{_ARTIFACTS_ROUTE}/"
        f"{parsed.path.lstrip('/')}"
    ).rstrip("/")


def artifact_repo(uri: str, tracking_uri: str | None = None) -> ArtifactRepo:
    """The artifact repository for an artifact root URI.

    ``tracking_uri`` resolves ``mlflow-artifacts:`` URIs (artifacts proxied by the server).
    """
    scheme = scheme_of(uri)
    if scheme == MLFLOW_ARTIFACTS_SCHEME or (
        scheme in _HTTP_SCHEMES and _ARTIFACTS_ROUTE in urlparse(uri).path
    ):
        from runwell.store.artifacts.http import HttpArtifactRepo

        # The tracking credentials go only to the tracking server's own origin.
        tracking = tracking_uri or env.get(env.TRACKING_URI)
        if scheme == MLFLOW_ARTIFACTS_SCHEME:
            resolved = resolve_proxied_uri(uri, tracking_uri)
            return HttpArtifactRepo(resolved, root_uri=uri, tracking_uri=tracking)
        return HttpArtifactRepo(uri, tracking_uri=tracking)
    path = local_path(uri)
    if path is not None:
        from runwell.store.artifacts.local import LocalArtifactRepo

        return LocalArtifactRepo(uri)
    if scheme_of(uri) == "s3":
        from runwell.store.artifacts.s3 import S3ArtifactRepo

        return S3ArtifactRepo(uri)
    raise InvalidArgument(
        f"Unsupported artifact URI '{uri}': expected a local path, file://, "
        "s3://<bucket>/<prefix> or mlflow-artifacts:/<path>."
    )
