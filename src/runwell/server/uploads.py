"""Streaming artifact uploads with flat memory.

The request body goes to a temporary file chunk by chunk (writes batched to about 1 MiB and
done in the threadpool), never into one ``bytes``. For a local destination the temporary file
sits in the target directory (named ``.tmp-*``, which listings skip) and is renamed into
place, so a reader never sees half a file and a 5 GB upload is never copied twice. Other
destinations get a spooled file handed to ``ArtifactRepo.log_artifact``.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool

from runwell.errors import InvalidArgument
from runwell.store import uri as uris
from runwell.store.protocols import ArtifactRepo

_WRITE_SIZE = 1 << 20


def _inside(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    return resolved == root or root in resolved.parents


def local_target(root: Path, path: str) -> Path:
    """The file ``path`` under ``root``, its directory created; symlinks may not lead out."""
    resolved_root = root.resolve()
    target = root / path
    escape = InvalidArgument(f"Invalid path '{path}': it leads outside the artifact root.")
    if not _inside(target.parent, resolved_root):
        raise escape
    if (target.exists() or target.is_symlink()) and not _inside(target, resolved_root):
        raise escape
    target.parent.mkdir(parents=True, exist_ok=True)
    if not _inside(target.parent, resolved_root):
        raise escape
    if target.is_dir():
        raise InvalidArgument(f"Invalid path '{path}': it is a directory.")
    return target


class UploadTooLarge(InvalidArgument):
    """The body went past the upload limit; nothing was stored."""


async def _copy(chunks: AsyncIterator[bytes], handle: BinaryIO, max_bytes: int | None) -> int:
    pending: list[bytes] = []
    pending_size = 0
    total = 0
    async for chunk in chunks:
        if not chunk:
            continue
        if max_bytes is not None and total + pending_size + len(chunk) > max_bytes:
            raise UploadTooLarge(
                f"The upload is larger than this server's limit of {max_bytes} bytes "
                "(--max-upload-mb); nothing was stored."
            )
        pending.append(chunk)
        pending_size += len(chunk)
        if pending_size >= _WRITE_SIZE:
            data = b"".join(pending)
            pending.clear()
            pending_size = 0
            await run_in_threadpool(handle.write, data)
            total += len(data)
    if pending:
        data = b"".join(pending)
        await run_in_threadpool(handle.write, data)
        total += len(data)
    return total


def _local_root(repo: ArtifactRepo) -> str | None:
    try:
        return uris.local_path(repo.root_uri)
    except InvalidArgument:
        return None


async def store_upload(
    chunks: AsyncIterator[bytes], repo: ArtifactRepo, path: str, max_bytes: int | None = None
) -> int:
    """Write the streamed body as the file ``path`` of ``repo``; returns its size. Past
    ``max_bytes`` it raises UploadTooLarge and leaves nothing behind."""
    local_root = _local_root(repo)
    if local_root is not None:
        target = await run_in_threadpool(local_target, Path(local_root), path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                size = await _copy(chunks, handle, max_bytes)
            await run_in_threadpool(os.replace, tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size
    spool = Path(tempfile.mkdtemp(prefix="runwell-upload-"))
    try:
        staged = spool / posixpath.basename(path)
        with staged.open("wb") as handle:
            size = await _copy(chunks, handle, max_bytes)
        directory = posixpath.dirname(path) or None
        await run_in_threadpool(repo.log_artifact, str(staged), directory)
        return size
    finally:
        await run_in_threadpool(shutil.rmtree, spool, True)
