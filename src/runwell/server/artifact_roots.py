"""Where the server reads and writes artifacts: the proxied destination and run artifact URIs.

``mlflow-artifacts:/<p>`` URIs (what experiments and runs get when the server proxies
artifacts) map to ``<artifacts destination>/<p>``. Other URIs go to the artifact repository
for their scheme, with two limits on what a client-chosen ``artifact_location`` can make the
server read: local paths only under the server's own roots (``file:///etc`` must not turn
``get-artifact`` into a way to read the server's disk), and no ``http(s)`` locations (the
server must not fetch URLs a client picked). Object stores (``s3://``...) are read with the
server's credentials, as MLflow's server reads them.

One ``http(s)`` form is the server's own: MLflow documents ``--default-artifact-root
http://HOST:PORT/api/2.0/mlflow-artifacts/artifacts``, so runs get locations on this server's
proxy. A location on the same scheme, host and port as such a configured root, under its
proxy route, is read from the artifacts destination (as ``mlflow-artifacts:/<p>`` is) and
never fetched over HTTP; any other ``http(s)`` location stays refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlparse

from runwell.entities import FileInfo
from runwell.errors import ErrorCode, InvalidArgument, NotFound, RunwellError, Unavailable
from runwell.server.artifact_paths import safe_artifact_path
from runwell.store import uri as uris
from runwell.store.protocols import ArtifactRepo

RepoFactory = Callable[[str], ArtifactRepo]
PROXY_SCHEME = "mlflow-artifacts"
PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"
# Object stores the server reads with its own credentials, as MLflow's server does.
OBJECT_STORE_SCHEMES = frozenset({"s3", "gs", "wasbs", "abfss"})


def _join(root: str, path: str) -> str:
    return f"{root.rstrip('/')}/{path}" if path else root


class ArtifactRoots:
    """The artifact destination (when serving) and the repositories of run artifact URIs."""

    def __init__(
        self,
        destination: str | None,
        factory: RepoFactory,
        readable_local_roots: Sequence[str] = (),
    ) -> None:
        self.destination_uri = destination
        self._factory = factory
        self._destination: ArtifactRepo | None = None
        roots = [*readable_local_roots, *([destination] if destination else [])]
        self._local_roots = [Path(p).resolve() for p in map(_local_or_none, roots) if p]
        self._own_proxies = {own for own in map(_own_proxy, roots) if own is not None}

    @property
    def serving(self) -> bool:
        return self.destination_uri is not None

    def destination(self) -> ArtifactRepo:
        """The repository behind ``/mlflow-artifacts``; 503 when the server does not proxy."""
        if self.destination_uri is None:
            raise Unavailable(
                "Artifact serving is disabled: start the server with --serve-artifacts "
                "(and --artifacts-destination) to proxy artifacts."
            )
        if self._destination is None:
            self._destination = self._factory(self.destination_uri)
        return self._destination

    def for_uri(self, artifact_uri: str) -> ArtifactRepo:
        """The repository rooted at a run's (or model's) artifact URI."""
        scheme = urlparse(artifact_uri).scheme
        if scheme == PROXY_SCHEME:
            relative = safe_artifact_path(urlparse(artifact_uri).path.lstrip("/"), allow_root=True)
            self.destination()  # 503 when not serving
            assert self.destination_uri is not None
            return self._factory(_join(self.destination_uri, relative))
        proxied = self._proxied_path(artifact_uri)
        if proxied is not None:
            return self.for_uri(f"{PROXY_SCHEME}:/{proxied}")
        local = _local_or_none(artifact_uri)
        if local is not None:
            resolved = Path(local).resolve()
            if not any(resolved == r or r in resolved.parents for r in self._local_roots):
                raise _refused("This artifact location is outside the server's artifact roots")
        elif scheme.lower() not in OBJECT_STORE_SCHEMES:
            # An http(s) location would make the server fetch URLs a client chose (SSRF).
            raise _refused(f"The server does not read '{scheme}:' artifact locations")
        return self._factory(artifact_uri)

    def _proxied_path(self, artifact_uri: str) -> str | None:
        """The proxy path of a URL on this server's own artifact proxy, else None."""
        parsed = urlparse(artifact_uri)
        if parsed.scheme.lower() not in ("http", "https") or parsed.query or parsed.fragment:
            return None
        for scheme, netloc, route in self._own_proxies:
            same = (parsed.scheme.lower(), parsed.netloc.lower()) == (scheme, netloc)
            if same and (parsed.path == route or parsed.path.startswith(route + "/")):
                return parsed.path[len(route) :].lstrip("/")
        return None


def _own_proxy(root: str) -> tuple[str, str, str] | None:
    """(scheme, host:port, route) of a configured root on this server's proxy, else None."""
    parsed = urlparse(root)
    if parsed.scheme.lower() not in ("http", "https") or PROXY_ROUTE not in parsed.path:
        return None
    route = parsed.path.split(PROXY_ROUTE, 1)[0] + PROXY_ROUTE
    return parsed.scheme.lower(), parsed.netloc.lower(), route


def _refused(what: str) -> RunwellError:
    return RunwellError(f"{what}; it is not served.", ErrorCode.PERMISSION_DENIED)


def _local_or_none(uri: str) -> str | None:
    try:
        return uris.local_path(uri)
    except InvalidArgument:
        return None


def open_file(repo: ArtifactRepo, path: str) -> Iterator[bytes]:
    """The file's chunks; a missing file reads as "No such artifact" without the root's URI."""
    try:
        return repo.read_chunks(path)
    except NotFound:
        raise NotFound(f"No such artifact: '{path}'") from None


def list_dir(repo: ArtifactRepo, path: str) -> list[FileInfo]:
    """Entries of a directory; a missing directory or a file lists as empty."""
    return repo.list_artifacts(path or None)
