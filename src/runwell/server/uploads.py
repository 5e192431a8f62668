"""Streaming artifact uploads with flat memory.

The request body goes to a temporary file chunk by chunk (writes batched to about 1 MiB and
done in the threadpool), never into one ``bytes``. For a local destination the temporary file
sits in the target directory (named ``.tmp-*``, which listings skip) and is renamed into
place, so a reader never sees half a file and a 5 GB upload is never copied twice. Other
destinations get a spooled file handed to ``ArtifactRepo.log_artifact``.

A full disk (or quota) is a 503 ``TEMPORARILY_UNAVAILABLE`` naming the cause, not a 500: the
request was fine and succeeds once space is freed. The temporary file and the directories the
upload created are removed first, so nothing partial is left behind.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool

from runwell.errors import InvalidArgument, Unavailable
from runwell.store import uri as uris
from runwell.store.protocols import ArtifactRepo

_WRITE_SIZE = 1 << 20
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


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


def out_of_space(exc: OSError) -> Unavailable | None:
    """The 503 for a write that failed for want of space; None for other errors."""
    if exc.errno not in _NO_SPACE:
        return None
    return Unavailable(
        f"The artifact store has no space left ({os.strerror(exc.errno or errno.ENOSPC)}); "
        "nothing was stored. Free space on the server's artifact storage, then retry."
    )


def _missing_directories(directory: Path) -> list[Path]:
    """``directory`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return missing


def _remove_empty(directories: list[Path]) -> None:
    for directory in directories:  # deepest first; one still in use stops the walk
        try:
            directory.rmdir()
        except OSError:
            return


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
        return await _store_local(chunks, Path(local_root), path, max_bytes)
    try:
        return await _store_spooled(chunks, repo, path, max_bytes)
    except OSError as exc:
        unavailable = out_of_space(exc)
        if unavailable is None:
            raise
        raise unavailable from exc


async def _store_local(
    chunks: AsyncIterator[bytes], root: Path, path: str, max_bytes: int | None
) -> int:
    created = await run_in_threadpool(_missing_directories, (root / path).parent)
    tmp: str | None = None
    try:
        target = await run_in_threadpool(local_target, root, path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            size = await _copy(chunks, handle, max_bytes)
        await run_in_threadpool(os.replace, tmp, target)
        return size
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        unavailable = out_of_space(exc) if isinstance(exc, OSError) else None
        if unavailable is not None:
            await run_in_threadpool(_remove_empty, created)
            raise unavailable from exc
        raise


async def _store_spooled(
    chunks: AsyncIterator[bytes], repo: ArtifactRepo, path: str, max_bytes: int | None
) -> int:
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
