"""HttpArtifactRepo: artifacts proxied by a tracking server (``/api/2.0/mlflow-artifacts``).

The routes are reference/mlflow-rest-api.md §6: ``PUT``/``GET``/``DELETE`` on
``.../mlflow-artifacts/artifacts/<path>`` and ``GET .../mlflow-artifacts/artifacts?path=<dir>``
to list. Files travel as streams in both directions, in chunks of 1 MiB, so uploading or
downloading a file of any size takes constant memory; a download is written to a temporary
name and renamed into place, so a failed transfer leaves no truncated file behind. Directories
are transferred a few files at a time over the shared connection pool.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote, urlsplit

from runwell.entities import FileInfo
from runwell.errors import InvalidArgument, NotFound
from runwell.store.artifacts.local import check_relative_path
from runwell.store.origins import same_origin
from runwell.store.rest.transport import Transport, shared_transport
from runwell.wire import paths

CHUNK = 1 << 20
PARALLEL_TRANSFERS = 4
ROUTE = paths.API_PREFIX + paths.ARTIFACTS
T = TypeVar("T")


def _content_type(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


class HttpArtifactRepo:
    """Artifacts under ``url`` = ``http(s)://host[/prefix]/api/2.0/mlflow-artifacts/artifacts/<root>``.

    ``root_uri`` is what callers see (e.g. the run's ``mlflow-artifacts:/...`` URI); it defaults
    to ``url``. The tracking credentials go with the requests only when ``url`` is on the
    origin of ``tracking_uri`` (scheme, host and port): a URL that a run, a logged model or a
    registered version names never receives them on another host.
    """

    def __init__(
        self,
        url: str,
        root_uri: str | None = None,
        transport: Transport | None = None,
        *,
        tracking_uri: str | None = None,
    ) -> None:
        split = urlsplit(url)
        marker = split.path.find(ROUTE)
        if split.scheme not in ("http", "https") or marker < 0:
            raise InvalidArgument(
                f"Invalid artifact URL '{url}': expected http(s)://host/api/2.0/mlflow-artifacts"
                "/artifacts/<path>."
            )
        self.root_uri = root_uri or url
        base = f"{split.scheme}://{split.netloc}{split.path[:marker]}"
        self.root_path = unquote(split.path[marker + len(ROUTE) :]).strip("/")
        self.transport = transport or shared_transport(
            base, credentials=same_origin(base, tracking_uri)
        )

    # ---------------------------------------------------------------- paths

    def _remote(self, relative: str) -> str:
        """The artifact path on the server (below the proxy's root) of ``relative``."""
        return _join(self.root_path, relative)

    def _route(self, relative: str) -> str:
        remote = self._remote(relative)
        return ROUTE + ("/" + quote(remote, safe="/") if remote else "")

    # ---------------------------------------------------------------- writes

    def _put(
        self, relative: str, content: Callable[[], bytes | Iterator[bytes]], size: int
    ) -> None:
        if not check_relative_path(relative, "artifact_file"):
            raise InvalidArgument("Invalid artifact_file '': expected a file name.")
        headers = {"Content-Type": _content_type(relative), "Content-Length": str(size)}
        self.transport.send("PUT", self._route(relative), content=content, headers=headers).close()

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        source = Path(local_file)
        if not source.is_file():
            raise NotFound(f"No such file to log as an artifact: '{local_file}'.")
        target = _join(check_relative_path(artifact_path), source.name)
        self._put(target, lambda: _file_chunks(source), source.stat().st_size)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        source = Path(local_dir)
        if not source.is_dir():
            raise NotFound(f"No such directory to log as artifacts: '{local_dir}'.")
        prefix = check_relative_path(artifact_path)
        files = [
            Path(dirpath, name)
            for dirpath, _dirs, names in os.walk(source)
            for name in sorted(names)
        ]
        _parallel(
            lambda path: self.log_artifact(
                str(path), _join(prefix, path.parent.relative_to(source).as_posix())
            ),
            files,
        )

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        self._put(check_relative_path(artifact_file, "artifact_file"), lambda: data, len(data))

    # ---------------------------------------------------------------- reads

    def read_bytes(self, artifact_file: str) -> bytes:
        relative = check_relative_path(artifact_file, "artifact_file")
        return b"".join(self.read_chunks(relative))

    def read_chunks(self, artifact_file: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        relative = check_relative_path(artifact_file, "artifact_file")
        if not relative:
            raise InvalidArgument(f"'{artifact_file}' is a directory, not a file.")
        # Sent now, so that NotFound and friends are raised by this call, not by the first next().
        response = self.transport.send("GET", self._route(relative), stream=True)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(chunk_size)
            finally:
                response.close()

        return chunks()

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = check_relative_path(path)
        params = {"path": self._remote(relative)} if self._remote(relative) else None
        found = self.transport.call("GET", ROUTE, params=params)
        infos = []
        for entry in found.get("files") or ():
            name = posixpath.basename(str(entry.get("path", "")).rstrip("/"))
            if not name:
                continue
            is_dir = bool(entry.get("is_dir", False))
            size = entry.get("file_size")
            infos.append(
                FileInfo(
                    path=_join(relative, name),
                    is_dir=is_dir,
                    file_size=None if is_dir or size is None else int(size),
                )
            )
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: str) -> str:
        relative = check_relative_path(artifact_path)
        destination = Path(dst_path)
        target = destination / relative if relative else destination
        listing = self.list_artifacts(relative)
        if listing or not relative:
            # A directory (the server lists files only for directories).
            target.mkdir(parents=True, exist_ok=True)
            files = self._walk(listing)
            _parallel(lambda info: self._download_file(info.path, destination), files)
        else:
            self._download_file(relative, destination)
        return str(target)

    def _walk(self, listing: list[FileInfo]) -> list[FileInfo]:
        files = []
        for info in listing:
            if info.is_dir:
                files.extend(self._walk(self.list_artifacts(info.path)))
            else:
                files.append(info)
        return files

    def _download_file(self, relative: str, destination: Path) -> None:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        chunks = self.read_chunks(relative)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        relative = check_relative_path(artifact_path)
        self.transport.send("DELETE", self._route(relative)).close()


def _parallel(work: Callable[[T], None], items: Sequence[T]) -> None:
    """Run ``work`` over ``items`` a few at a time; the first failure is raised."""
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(min(PARALLEL_TRANSFERS, len(items))) as pool:
        for future in [pool.submit(work, item) for item in items]:
            future.result()
