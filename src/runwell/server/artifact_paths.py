"""Artifact paths from URLs and query strings, checked before anything touches storage.

reference/mlflow-rest-api.md §6: the path is URL-decoded until it stops changing (so
``%252e%252e`` cannot smuggle ``..`` past one decode), then refused if it holds ``#``, ``?``,
NUL or another control character, a backslash, a ``..`` segment, or an absolute or
drive-letter form. ``LocalArtifactRepo`` also resolves symlinks and refuses anything that
lands outside its root; this check runs first, on every artifact route, whatever the backend.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from runwell.errors import InvalidArgument

# Beyond this many rounds of decoding a path is hostile, not merely encoded.
_MAX_DECODES = 8
_FORBIDDEN = ("#", "?", "\\")


def _invalid(raw: str, why: str) -> InvalidArgument:
    shown = raw if len(raw) <= 200 else raw[:200] + "..."
    return InvalidArgument(f"Invalid path '{shown}': {why}.")


def fully_decoded(raw: str) -> str:
    """``raw`` URL-decoded until stable; refused when it keeps changing."""
    text = raw
    for _ in range(_MAX_DECODES):
        decoded = unquote(text, errors="strict")
        if decoded == text:
            return text
        text = decoded
    raise _invalid(raw, "too many levels of URL encoding")


def safe_artifact_path(raw: str | None, *, allow_root: bool = False) -> str:
    """A normalised relative POSIX path ('' for the root when ``allow_root``).

    Raises InvalidArgument (400) naming the path and the rule it broke.
    """
    if raw is None or raw == "":
        if allow_root:
            return ""
        raise _invalid("", "expected a file path")
    try:
        text = fully_decoded(raw)
    except UnicodeDecodeError:
        raise _invalid(raw, "not valid UTF-8 once decoded") from None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise _invalid(raw, "control characters are not allowed")
    for char in _FORBIDDEN:
        if char in text:
            raise _invalid(raw, f"'{char}' is not allowed")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise _invalid(raw, "expected a relative path")
    if ".." in text.split("/"):
        raise _invalid(raw, "'..' segments are not allowed")
    normal = posixpath.normpath(text)
    if normal in (".", ""):
        if allow_root:
            return ""
        raise _invalid(raw, "expected a file path")
    return normal


def safe_file_path(raw: str | None) -> str:
    """A path that must name a file: not the root, not ending in '/'."""
    path = safe_artifact_path(raw)
    if raw is not None and raw.endswith("/"):
        raise _invalid(raw, "expected a file name, not a directory")
    return path
