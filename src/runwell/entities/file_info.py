"""FileInfo: one entry of an artifact listing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInfo:
    """A file or directory under an artifact root; ``path`` is relative, ``file_size`` in bytes."""

    path: str
    is_dir: bool
    file_size: int | None = None
