"""MLflow's validation rules for the registry: names, versions, aliases, tags, descriptions.

reference/mlflow-limits-and-validation.md §1-2. A registered model name must be usable as one
segment of a ``models:/<name>/<version>`` URI, so beyond MLflow's rules (non-blank, no ``/``
or ``:``, in path-normal form) runwell also applies them to the name *after* URL-decoding:
``a%2Fb`` would otherwise turn into two segments in a decoding client. ``name_key`` (the decoded
name) is what must be unique.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from runwell.errors import InvalidArgument
from runwell.store import validation

if TYPE_CHECKING:
    from runwell.entities import LoggedModelStatus

MAX_NAME_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 5000
MAX_TAG_VALUE_LENGTH = 100_000
MAX_ALIAS_LENGTH = 255
MAX_DECODES = 8
_ALIAS = re.compile(r"^[\w\-]*$")
_RESERVED_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def fully_decoded(text: str, what: str) -> str:
    """``text`` URL-decoded until it stops changing; refused when it keeps changing."""
    for _ in range(MAX_DECODES):
        decoded = unquote(text)
        if decoded == text:
            return text
        text = decoded
    raise InvalidArgument(f"Invalid {what}: too many levels of URL encoding.")


def model_name(name: object, what: str = "name") -> str:
    """A valid registered model name (returned unchanged)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"Missing value for required parameter '{what}'.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"Registered model '{what}' exceeds the maximum length of {MAX_NAME_LENGTH} characters."
        )
    for form in (name, fully_decoded(name, f"registered model name {name!r}")):
        bad = [c for c in ("/", ":") if c in form]
        if bad:
            raise InvalidArgument(
                f"Invalid registered model name {name!r}: it must not contain '/' or ':' "
                "(also not URL-encoded)."
            )
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in form):
            raise InvalidArgument(
                f"Invalid registered model name {name!r}: control characters are not allowed."
            )
        normal = posixpath.normpath(form)
        if normal != form or normal == "." or normal.startswith(".."):
            raise InvalidArgument(
                f"Invalid registered model name {name!r}: names like '.', '..' or ones that "
                "normalize to another path are not allowed."
            )
    return name


def name_key(name: str) -> str:
    """What uniqueness is checked on: the fully decoded name."""
    return fully_decoded(name, f"registered model name {name!r}")


def version_number(version: object, what: str = "version") -> int:
    """A version as an int; MLflow's message for anything that is not a positive integer."""
    if isinstance(version, bool):
        raise InvalidArgument(f"Parameter '{what}' must be an integer, got {version!r}.")
    if isinstance(version, int):
        number = version
    elif isinstance(version, str) and version.strip().isdigit():
        number = int(version.strip())
    else:
        if version is None or version == "":
            raise InvalidArgument(f"Missing value for required parameter '{what}'.")
        raise InvalidArgument(f"Parameter '{what}' must be an integer, got {version!r}.")
    if number < 1 or number > 2**31 - 1:
        raise InvalidArgument(f"Parameter '{what}' must be a positive integer, got {version!r}.")
    return number


def alias(value: object) -> str:
    """A valid alias: word characters and dashes, at most 255, not ``latest`` or ``v<N>``."""
    if not isinstance(value, str) or not value:
        raise InvalidArgument("Missing value for required parameter 'alias'.")
    if len(value) > MAX_ALIAS_LENGTH or not _ALIAS.match(value):
        raise InvalidArgument(
            f"Invalid alias name: {value!r}. Names may only contain alphanumerics, underscores "
            f"(_), and dashes (-), and be at most {MAX_ALIAS_LENGTH} characters long."
        )
    if value.lower() == "latest" or _RESERVED_VERSION_ALIAS.match(value):
        raise InvalidArgument(
            f"Invalid alias name: {value!r}. 'latest' and 'v<number>' are reserved: they "
            "already mean the newest version and version <number> in models:/ URIs."
        )
    return value


def tag(key: object, value: object) -> tuple[str, str]:
    """A registry tag: run-tag key rules, values up to 100,000 characters, never null."""
    checked = validation.key(key, "key")
    if value is None:
        raise InvalidArgument(f"Missing value for required parameter 'value' of tag {checked!r}.")
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidArgument(
            f"Tag value for {checked!r} exceeds the maximum length of {MAX_TAG_VALUE_LENGTH} "
            "characters."
        )
    return checked, text


def description(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            f"'description' exceeds the maximum length of {MAX_DESCRIPTION_LENGTH} characters."
        )
    return value


def require_ready(model_id: str, status: LoggedModelStatus | str | int | None) -> None:
    """Refuse a logged model whose files are not known to be complete.

    ``log_model`` marks a model READY only after every file is uploaded; PENDING means the
    upload is under way or its process stopped, FAILED that it raised. Neither is loaded, so a
    partial model directory never passes for a model (registration: ``require_registrable``).
    """
    from runwell.entities import LoggedModelStatus

    state = LoggedModelStatus.parse(status) if status is not None else None
    if state is LoggedModelStatus.READY:
        return
    shown = state.name if state is not None else "unknown"
    raise InvalidArgument(
        f"Logged model '{model_id}' is {shown}, not READY: its files were not all uploaded "
        "(the logging process failed or stopped, or is still uploading), so it cannot be "
        "loaded."
    )


def require_registrable(model_id: str, status: LoggedModelStatus | str | int | None) -> None:
    """Refuse to register a logged model whose upload failed.

    MLflow registers a PENDING model (``log_model(registered_model_name=...)`` registers
    before the client finalizes it), so only a model known to be broken is refused; loading
    still waits for READY (``require_ready``).
    """
    from runwell.entities import LoggedModelStatus

    state = LoggedModelStatus.parse(status) if status is not None else None
    if state is LoggedModelStatus.FAILED:
        raise InvalidArgument(
            f"Logged model '{model_id}' is FAILED: its files were not all uploaded, so "
            "it cannot be registered. Log the model again."
        )
