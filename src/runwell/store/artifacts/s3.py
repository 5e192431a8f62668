"""S3ArtifactRepo: artifacts in S3 or any S3-compatible object store, under ``s3://bucket/prefix``.

Only ``store/uri.py``'s factory reaches this module, so importing boto3 here keeps it out of
``import runwell``. Configuration is boto3's own (credentials from the environment, profiles or
instance metadata; region from ``AWS_DEFAULT_REGION`` or the config file), plus one endpoint
setting for self-hosted stores: ``RUNWELL_S3_ENDPOINT_URL`` (or MLflow's
``MLFLOW_S3_ENDPOINT_URL``), then ``AWS_ENDPOINT_URL``. With an endpoint set, requests use
path-style addressing (``http://host/bucket/key``), which every S3-compatible server understands
without wildcard DNS.

Files go through boto3's transfer manager: anything over ``MULTIPART_THRESHOLD`` is sent as a
multipart upload (and read back with parallel ranged GETs) in ``MULTIPART_CHUNKSIZE`` parts read
lazily from disk, so memory stays flat whatever the file size. Errors are translated at this
boundary: no botocore exception escapes (``s3_errors.S3ErrorMap``).
"""

from __future__ import annotations

import os
import posixpath
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3  # type: ignore[import-untyped]
from boto3.s3.transfer import (  # type: ignore[import-untyped]
    TransferConfig,
    create_transfer_manager,
)
from botocore.config import Config  # type: ignore[import-untyped]
from s3transfer.subscribers import BaseSubscriber  # type: ignore[import-untyped]

from runwell import env
from runwell.entities import FileInfo
from runwell.errors import InvalidArgument, NotFound
from runwell.store.artifacts.local import check_relative_path
from runwell.store.artifacts.s3_errors import S3ErrorMap

MiB = 1 << 20
MULTIPART_THRESHOLD = 16 * MiB
MULTIPART_CHUNKSIZE = 16 * MiB
MAX_CONCURRENCY = 8
# Downloaded chunks (256 KiB each) waiting for the disk: boto3's default of 100 costs ~40 MiB
# more peak memory than this, for no speed a local disk would notice.
MAX_IO_QUEUE = 16

_clients: dict[tuple[str | None, tuple[tuple[str, str], ...]], Any] = {}
_clients_lock = threading.Lock()


def endpoint_url() -> str | None:
    """The S3 endpoint of a self-hosted store, or None for AWS itself."""
    return env.get(env.S3_ENDPOINT_URL) or env.get(env.AWS_ENDPOINT_URL)


def s3_client(endpoint: str | None) -> Any:
    """A boto3 S3 client, shared per endpoint and AWS_* environment (clients are thread-safe).

    Building a client parses botocore's service model (tens of milliseconds); the client code
    asks for a repository per call, so the cache matters. Keying on the AWS_* variables means
    a changed credential or region in the environment gets a fresh client.
    """
    aws_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    key = (endpoint, aws_env)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            config = Config(
                s3={"addressing_style": "path"} if endpoint else {},
                # "standard" retries transient errors with back-off; AWS_MAX_ATTEMPTS still
                # sets the number of attempts (3 by default).
                retries={"mode": "standard"},
                connect_timeout=10,
                read_timeout=120,
                max_pool_connections=2 * MAX_CONCURRENCY,
            )
            # A session per client: boto3's default session is not safe to share across threads.
            client = boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
            _clients[key] = client
        return client


def forget_clients() -> None:
    """Drop cached clients (tests that change the environment, after fork)."""
    with _clients_lock:
        _clients.clear()


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix")."""
    parsed = urlparse(uri)
    if parsed.scheme.lower() != "s3" or not parsed.netloc:
        raise InvalidArgument(f"Invalid S3 URI '{uri}': expected s3://<bucket>/<prefix>.")
    if parsed.query or parsed.fragment or not 3 <= len(parsed.netloc) <= 63:
        raise InvalidArgument(
            f"Invalid S3 URI '{uri}': bucket names have 3 to 63 characters, and the URI takes "
            "no query or fragment."
        )
    prefix = parsed.path.strip("/")
    if prefix and check_relative_path(prefix, "S3 key prefix") != prefix:
        raise InvalidArgument(f"Invalid S3 URI '{uri}': the key prefix is not in normal form.")
    return parsed.netloc, prefix


def _transfer_config() -> TransferConfig:
    # "classic": the pure-Python transfer manager, whatever optional extras are installed.
    return TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD,
        multipart_chunksize=MULTIPART_CHUNKSIZE,
        max_concurrency=MAX_CONCURRENCY,
        max_io_queue=MAX_IO_QUEUE,
        preferred_transfer_client="classic",
    )


class S3ArtifactRepo:
    """Artifacts under a key prefix of an S3 bucket; paths are relative to ``root_uri``."""

    def __init__(self, root_uri: str, client: Any | None = None) -> None:
        self.root_uri = root_uri
        self.bucket, self.prefix = parse_s3_uri(root_uri)
        self._endpoint = endpoint_url()
        self._client = client
        self._errors = S3ErrorMap(self.bucket, root_uri, self._endpoint)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client(self._endpoint)
        return self._client

    # ------------------------------------------------------------------ keys

    def _key(self, relative: str) -> str:
        if not relative:
            return self.prefix
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _dir_prefix(self, relative: str) -> str:
        """The key prefix of everything under ``relative`` ('' for the whole bucket)."""
        key = self._key(relative)
        return key + "/" if key else ""

    def _relative(self, key: str) -> str:
        return key[len(self.prefix) + 1 :] if self.prefix else key

    def _keys_under(self, prefix: str, markers: bool = False) -> Iterator[tuple[str, int]]:
        """(key, size) of every object under ``prefix``, page by page (1,000 per request).

        Keys ending in '/' are "folder" markers that web consoles write; they hold no file and
        are left out unless ``markers`` (for deleting).
        """
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors.mapped(f"listing '{prefix}'", prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    if markers or not item["Key"].endswith("/"):
                        yield item["Key"], int(item["Size"])

    def _has_children(self, relative: str) -> bool:
        prefix = self._dir_prefix(relative)
        with self._errors.mapped(f"listing '{relative}'", relative):
            page = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        return bool(page.get("KeyCount") or page.get("Contents"))

    def _file_size(self, relative: str) -> int | None:
        """The size of the object at ``relative``; None when there is none (maybe a folder)."""
        if not relative:
            return None
        try:
            with self._errors.mapped(f"reading '{relative}'", relative):
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(relative))
        except NotFound:
            return None
        return int(head["ContentLength"])

    # ------------------------------------------------------------------ writes

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        relative = check_relative_path(artifact_path)
        source = Path(local_file)
        if not source.is_file():
            raise NotFound(f"No such file to log as an artifact: '{local_file}'.")
        target = posixpath.join(relative, source.name) if relative else source.name
        self._upload([(source, self._key(target))])

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        relative = check_relative_path(artifact_path)
        source = Path(local_dir)
        if not source.is_dir():
            raise NotFound(f"No such directory to log as artifacts: '{local_dir}'.")
        uploads = []
        for dirpath, _dirnames, filenames in os.walk(source):
            sub = Path(dirpath).relative_to(source).as_posix()
            for name in sorted(filenames):
                parts = [p for p in (relative, sub if sub != "." else "", name) if p]
                uploads.append((Path(dirpath, name), self._key("/".join(parts))))
        self._upload(uploads)

    def _upload(self, uploads: list[tuple[Path, str]]) -> None:
        """Send files concurrently; each over the threshold goes as a multipart upload."""
        with self._errors.mapped("uploading artifacts", None):
            with create_transfer_manager(self.client, _transfer_config()) as manager:
                futures = [manager.upload(str(p), self.bucket, key) for p, key in uploads]
                for future in futures:
                    future.result()

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        relative = check_relative_path(artifact_file, "artifact_file")
        if not relative:
            raise InvalidArgument("Invalid artifact_file '': expected a file name.")
        with self._errors.mapped(f"writing '{relative}'", relative):
            self.client.put_object(Bucket=self.bucket, Key=self._key(relative), Body=data)

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file, or everything under a directory, in batches of 1,000 keys."""
        relative = check_relative_path(artifact_path)
        batch: list[str] = [self._key(relative)] if relative else []
        for key, _size in self._keys_under(self._dir_prefix(relative), markers=True):
            batch.append(key)
            if len(batch) == 1000:
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)

    def _delete_batch(self, keys: list[str]) -> None:
        with self._errors.mapped("deleting artifacts", None):
            answer = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
            )
        self._errors.raise_delete_errors(answer.get("Errors", ()))

    # ------------------------------------------------------------------ reads

    def _get(self, relative: str) -> Any:
        with self._errors.mapped(f"reading '{relative}'", relative):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(relative))

    def read_bytes(self, artifact_file: str) -> bytes:
        relative = check_relative_path(artifact_file, "artifact_file")
        if not relative:
            raise NotFound(f"No artifact at '' under {self.root_uri}: the root is a directory.")
        body = self._get(relative)["Body"]
        with self._errors.mapped(f"reading '{relative}'", relative), body:
            data: bytes = body.read()
        return data

    def read_chunks(self, artifact_file: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        relative = check_relative_path(artifact_file, "artifact_file")
        if not relative:
            raise InvalidArgument("'' is a directory, not a file.")
        try:
            response = self._get(relative)
        except NotFound:
            if self._has_children(relative):
                raise InvalidArgument(f"'{artifact_file}' is a directory, not a file.") from None
            raise
        # The request is made here, before the first chunk, so callers see NotFound early.
        return self._stream(response["Body"], relative, chunk_size)

    def _stream(self, body: Any, relative: str, chunk_size: int) -> Iterator[bytes]:
        with self._errors.mapped(f"reading '{relative}'", relative), body:
            yield from body.iter_chunks(chunk_size)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The direct children of ``path``, from a delimiter listing (all pages)."""
        relative = check_relative_path(path)
        prefix = self._dir_prefix(relative)
        paginator = self.client.get_paginator("list_objects_v2")
        infos: list[FileInfo] = []
        with self._errors.mapped(f"listing '{relative}'", relative):
            pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
            for page in pages:
                for common in page.get("CommonPrefixes", ()):
                    child = self._relative(common["Prefix"].rstrip("/"))
                    infos.append(FileInfo(path=child, is_dir=True))
                for item in page.get("Contents", ()):
                    if item["Key"] == prefix:  # a "folder" marker for the directory itself
                        continue
                    child = self._relative(item["Key"])
                    infos.append(FileInfo(path=child, is_dir=False, file_size=int(item["Size"])))
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: str) -> str:
        """Copy a file or a whole directory to ``dst_path/artifact_path``; return that path."""
        relative = check_relative_path(artifact_path)
        target = Path(dst_path, relative) if relative else Path(dst_path)
        size = self._file_size(relative)
        if size is not None:
            self._download([(self._key(relative), target, size)])
            return str(target)
        downloads = []
        prefix = self._dir_prefix(relative)
        for key, size in self._keys_under(prefix):
            inner = key[len(prefix) :]
            # Keys come from whoever wrote the bucket: none may land outside the target.
            if inner.startswith("/") or "\\" in inner or ".." in inner.split("/"):
                raise InvalidArgument(f"Refusing to download key '{key}': it leaves '{target}'.")
            downloads.append((key, target / inner, size))
        if not downloads:
            raise NotFound(f"No artifact at '{artifact_path}' under {self.root_uri}.")
        self._download(downloads)
        return str(target)

    def _download(self, downloads: list[tuple[str, Path, int]]) -> None:
        """Fetch concurrently; boto3 writes each to a temporary name and renames it into place."""
        for _key, path, _size in downloads:
            path.parent.mkdir(parents=True, exist_ok=True)
        with self._errors.mapped("downloading artifacts", None):
            with create_transfer_manager(self.client, _transfer_config()) as manager:
                futures = [
                    manager.download(self.bucket, key, str(path), subscribers=[_KnownSize(size)])
                    for key, path, size in downloads
                ]
                for future in futures:
                    future.result()


class _KnownSize(BaseSubscriber):  # type: ignore[misc]
    """Gives the transfer manager the size from the listing, sparing a HeadObject per file."""

    def __init__(self, size: int) -> None:
        self._size = size

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self._size)
