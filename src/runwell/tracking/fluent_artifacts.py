"""The fluent API's artifact functions: files and objects logged to the active run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.store import validation
from runwell.tracking.fluent import _client, _run_id, current_experiment_id


def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _client().log_artifact(_run_id(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _client().log_artifacts(_run_id(run_id), local_dir, artifact_path)


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    """The bytes a binary file-like object (``io.BytesIO``, an open file) holds, from its
    current position, as the artifact ``artifact_file``."""
    read = getattr(stream, "read", None)
    data = read() if callable(read) else None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidArgument(
            f"Invalid stream of type {type(stream).__name__}: expected a binary file-like "
            "object (io.BytesIO, or a file opened with 'rb')."
        )
    _client().artifact_repo_for_run(_run_id(run_id)).write_bytes(artifact_file, bytes(data))


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(_run_id(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_dict(_run_id(run_id), dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: Any = None, run_id: str | None = None
) -> None:
    _client().log_figure(_run_id(run_id), figure, artifact_file)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    """Log an image; either at ``artifact_file`` or, with ``key``, as ``images/<key>/step_N``."""
    if (artifact_file is None) == (key is None):
        raise InvalidArgument("Give exactly one of 'artifact_file' and 'key'.")
    if artifact_file is None:
        validation.key(key, "key")
        artifact_file = f"images/{key}/step_{step or 0}_{timestamp or int(time.time() * 1000)}.png"
    _client().log_image(_run_id(run_id), image, artifact_file)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_table(_run_id(run_id), data, artifact_file)


def load_table(
    artifact_file: str,
    run_ids: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = None,
) -> Any:
    """A table logged with ``log_table``, from every run of the current experiment that logged
    it (or the ``run_ids`` given), as one DataFrame; ``extra_columns`` adds run fields."""
    return _client().load_table(current_experiment_id(), artifact_file, run_ids, extra_columns)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    base = _client().get_run(_run_id()).info.artifact_uri
    return f"{base}/{artifact_path.lstrip('/')}" if artifact_path else base
