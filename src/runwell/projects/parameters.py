"""Entry-point parameters: check the values, resolve paths, render the shell command.

Values are checked against their declared type (``int`` and ``float`` must parse, ``uri`` must
have a scheme, ``path`` must exist or be a URI to download) before any run is created. The
command is ``command.format(...)`` with every value passed through ``shlex.quote``, and the
parameters the entry point does not declare are appended as ``--key value``, quoted the same
way: a value such as ``; rm -rf x`` reaches the program as one literal argument.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from runwell.errors import InvalidArgument, RunwellError
from runwell.projects.spec import EntryPoint, Parameter
from runwell.store import validation


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedParameters:
    """``values``: what the command gets (paths made absolute or downloaded);
    ``logged``: what the run records (the values as given, defaults filled in)."""

    values: dict[str, str]
    logged: dict[str, str]
    extras: tuple[str, ...]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _has_scheme(value: str) -> bool:
    scheme = urlparse(value).scheme
    return len(scheme) > 1  # one letter is a Windows drive, not a scheme


def resolve_parameters(
    entry: EntryPoint,
    given: Mapping[str, Any] | None,
    *,
    project_dir: Path,
    storage_dir: str | None,
    tracking_uri: str,
) -> ResolvedParameters:
    """Fill in defaults, check every value against its type, and resolve ``path`` values.

    Raises:
        InvalidArgument: a required parameter has no value, or a value does not fit its type
            (the message names the parameter and the type).
    """
    supplied = {str(k): _text(v) for k, v in (given or {}).items()}
    for key in supplied:
        validation.key(key, "parameter name")
    missing = [p.name for p in entry.parameters if p.name not in supplied and p.default is None]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        raise InvalidArgument(
            f"No value given for the required parameter(s) {names} of entry point "
            f"'{entry.name}': pass them with -P name=value."
        )
    values: dict[str, str] = {}
    logged: dict[str, str] = {}
    storage: list[str] = []  # created on first download
    for position, param in enumerate(entry.parameters):
        from_user = param.name in supplied
        raw = supplied[param.name] if from_user else str(param.default)
        base = Path.cwd() if from_user else project_dir
        values[param.name] = _checked(
            param, raw, base, position, storage, storage_dir, tracking_uri
        )
        logged[param.name] = raw
    extras = tuple(k for k in supplied if entry.parameter(k) is None)
    for key in extras:
        values[key] = logged[key] = supplied[key]
    for key, value in logged.items():
        validation.param_value(value, key)
    return ResolvedParameters(values=values, logged=logged, extras=extras)


def _checked(
    param: Parameter,
    raw: str,
    base: Path,
    position: int,
    storage: list[str],
    storage_dir: str | None,
    tracking_uri: str,
) -> str:
    def bad(expected: str) -> InvalidArgument:
        return InvalidArgument(
            f"Invalid value {raw!r} for parameter '{param.name}' (type {param.type}): "
            f"expected {expected}."
        )

    if param.type == "int":
        try:
            int(raw.strip())
        except ValueError:
            raise bad("an integer") from None
    elif param.type == "float":
        try:
            float(raw)
        except ValueError:
            raise bad("a number") from None
    elif param.type == "uri":
        if not _has_scheme(raw):
            raise bad("a URI with a scheme, e.g. s3://bucket/key or file:///data")
    elif param.type == "path":
        return _path_value(param, raw, base, position, storage, storage_dir, tracking_uri)
    return raw


def _path_value(
    param: Parameter,
    raw: str,
    base: Path,
    position: int,
    storage: list[str],
    storage_dir: str | None,
    tracking_uri: str,
) -> str:
    """A local path made absolute (it must exist), or a URI downloaded under storage_dir."""
    parsed = urlparse(raw)
    if not _has_scheme(raw) or parsed.scheme == "file":
        local = Path(parsed.path) if parsed.scheme == "file" else base / os.path.expanduser(raw)
        if not local.exists():
            raise InvalidArgument(
                f"Invalid value {raw!r} for parameter '{param.name}' (type path): no file or "
                f"directory at '{local}'."
            )
        return os.path.abspath(local)  # not resolve(): a venv's python is a symlink
    from runwell.tracking.client import RunwellClient

    if not storage:
        storage.append(storage_dir or tempfile.mkdtemp(prefix="runwell-project-"))
    destination = Path(storage[0], f"param_{position}")
    destination.mkdir(parents=True, exist_ok=True)
    try:
        repo, path = RunwellClient(tracking_uri).resolve_artifact_uri(raw)
        return str(repo.download_artifacts(path, str(destination)))
    except (RunwellError, OSError) as error:
        raise InvalidArgument(
            f"Could not download {raw!r} for parameter '{param.name}' (type path): {error}"
        ) from None


def render_command(entry: EntryPoint, resolved: ResolvedParameters) -> str:
    """The entry point's command with every value shell-quoted, extras appended.

    Raises:
        InvalidArgument: the template names a field that is not a declared parameter, or
            is not a valid format string (a literal brace is written ``{{``).
    """
    quoted = {k: shlex.quote(v) for k, v in resolved.values.items() if k not in resolved.extras}
    try:
        command = entry.command.format(**quoted)
    except KeyError as error:
        raise InvalidArgument(
            f"The command of entry point '{entry.name}' uses {{{error.args[0]}}}, which is not "
            "one of its declared parameters."
        ) from None
    except (IndexError, ValueError) as error:
        raise InvalidArgument(
            f"The command of entry point '{entry.name}' is not a valid template ({error}); "
            "write a literal brace as {{ or }}."
        ) from None
    for key in resolved.extras:
        command += f" --{shlex.quote(key)} {shlex.quote(resolved.values[key])}"
    return command
