"""LocalArtifactRepo: artifacts in a directory of the local filesystem.

Files are written to a temporary name in the target directory and renamed into place, so a
reader never sees half a file and a crash leaves no truncated artifact behind. A full disk
(or quota) is ``Unavailable`` naming the cause, with the temporary file removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from runwell.entities import FileInfo
from runwell.errors import InvalidArgument, NotFound, Unavailable
from runwell.store import uri as uris

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def _space_checked(root_uri: str) -> Iterator[None]:
    """Writes under ``root_uri`` that fail for want of space raise Unavailable."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _NO_SPACE:
            raise
        raise Unavailable(
            f"No space left to store artifacts under {root_uri} "
            f"({os.strerror(exc.errno or errno.ENOSPC)}); nothing partial was kept. Free "
            "space there, then retry."
        ) from exc


def check_relative_path(path: str | None, what: str = "artifact_path") -> str:
    """A relative POSIX path without ``..``, backslashes or absolute forms; '' for the root."""
    if path is None or path in ("", "."):
        return ""
    if "\\" in path or "\x00" in path or "#" in path:
        raise InvalidArgument(f"Invalid {what} '{path}': backslashes, NUL and '#' are not allowed.")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise InvalidArgument(f"Invalid {what} '{path}': expected a relative path.")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../") or ".." in path.split("/"):
        raise InvalidArgument(f"Invalid {what} '{path}': '..' segments are not allowed.")
    return "" if normal == "." else normal


class LocalArtifactRepo:
    """Artifacts under a local directory given as a path or ``file:`` URI."""

    def __init__(self, root_uri: str) -> None:
        self.root_uri = root_uri
        path = uris.local_path(root_uri)
        if path is None:
            raise InvalidArgument(f"Not a local artifact URI: '{root_uri}'.")
        self.root = Path(path)

    def _resolve(self, artifact_path: str | None) -> Path:
        relative = check_relative_path(artifact_path)
        target = (self.root / relative) if relative else self.root
        root = self.root.resolve()
        resolved = target.resolve()
        if resolved != root and root not in resolved.parents:
            raise InvalidArgument(f"Invalid artifact path '{artifact_path}': outside the root.")
        return target

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        source = Path(local_file)
        if not source.is_file():
            raise NotFound(f"No such file to log as an artifact: '{local_file}'.")
        directory = self._resolve(artifact_path)
        with _space_checked(self.root_uri):
            directory.mkdir(parents=True, exist_ok=True)
            self._copy_atomic(source, directory / source.name)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        source = Path(local_dir)
        if not source.is_dir():
            raise NotFound(f"No such directory to log as artifacts: '{local_dir}'.")
        destination = self._resolve(artifact_path)
        with _space_checked(self.root_uri):
            for dirpath, _dirnames, filenames in os.walk(source):
                relative = Path(dirpath).relative_to(source)
                target_dir = destination / relative
                target_dir.mkdir(parents=True, exist_ok=True)
                for name in filenames:
                    self._copy_atomic(Path(dirpath, name), target_dir / name)

    @contextlib.contextmanager
    def staged_root(self) -> Iterator[str]:
        """A new directory beside the root; on a clean exit it becomes the root, by rename.

        For a whole tree written at once into an empty root (a model): nothing is copied, and
        the root holds either nothing or everything. Where the root is not empty, or the rename
        fails, the tree is copied in as ``log_artifacts`` does.
        """
        import shutil
        import tempfile

        with _space_checked(self.root_uri):
            self.root.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.root.parent, prefix=".tmp-"))
        try:
            with _space_checked(self.root_uri):
                yield str(staging / "tree")
                tree = staging / "tree"
                try:
                    if self.root.is_dir():
                        self.root.rmdir()  # only when empty: OSError otherwise
                    os.replace(tree, self.root)
                except OSError:
                    self.log_artifacts(str(tree))
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        if not check_relative_path(artifact_file, "artifact_file"):
            raise InvalidArgument("Invalid artifact_file '': expected a file name.")
        target = self._resolve(artifact_file)
        import tempfile

        with _space_checked(self.root_uri):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def read_bytes(self, artifact_file: str) -> bytes:
        target = self._resolve(artifact_file)
        if not target.is_file():
            raise NotFound(f"No artifact at '{artifact_file}' under {self.root_uri}.")
        return target.read_bytes()

    def read_chunks(self, artifact_file: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        target = self._resolve(artifact_file)
        if target.is_dir():
            raise InvalidArgument(f"'{artifact_file}' is a directory, not a file.")
        try:
            handle = target.open("rb")
        except FileNotFoundError:
            raise NotFound(f"No artifact at '{artifact_file}' under {self.root_uri}.") from None
        return _chunks_of(handle, chunk_size)

    @staticmethod
    def _copy_atomic(source: Path, target: Path) -> None:
        import shutil
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = check_relative_path(path)
        directory = self._resolve(relative)
        if not directory.is_dir():
            return []
        infos = []
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.name.startswith(".tmp-"):
                continue
            child = posixpath.join(relative, entry.name) if relative else entry.name
            if entry.is_dir():
                infos.append(FileInfo(path=child, is_dir=True))
            else:
                infos.append(FileInfo(path=child, is_dir=False, file_size=entry.stat().st_size))
        return infos

    def download_artifacts(self, artifact_path: str, dst_path: str) -> str:
        source = self._resolve(artifact_path)
        if not source.exists():
            raise NotFound(f"No artifact at '{artifact_path}' under {self.root_uri}.")
        destination = Path(dst_path)
        relative = check_relative_path(artifact_path)
        target = destination / relative if relative else destination
        import shutil

        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=_skip_temp)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return str(target)

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        target = self._resolve(artifact_path)
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _skip_temp(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n.startswith(".tmp-")]


def _chunks_of(handle: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk
