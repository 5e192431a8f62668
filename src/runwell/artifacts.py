"""Reading artifacts back: download, list and load them by URI or by run.

``artifact_uri`` may be ``runs:/<run_id>/<path>``, a local path or a ``file:`` URI.
"""

from __future__ import annotations

import json
import os
from typing import Any

from runwell.entities import FileInfo
from runwell.errors import InvalidArgument
from runwell.tracking.client import RunwellClient
from runwell.tracking.fluent import get_tracking_uri

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]


def _locate(
    artifact_uri: str | None,
    run_id: str | None,
    artifact_path: str | None,
    tracking_uri: str | None,
) -> tuple[Any, str]:
    if (artifact_uri is None) == (run_id is None):
        raise InvalidArgument("Give exactly one of 'artifact_uri' and 'run_id'.")
    client = RunwellClient(tracking_uri or get_tracking_uri())
    if run_id is not None:
        return client.artifact_repo_for_run(run_id), artifact_path or ""
    if artifact_path is not None:
        raise InvalidArgument("'artifact_path' goes with 'run_id', not with 'artifact_uri'.")
    assert artifact_uri is not None
    return client.resolve_artifact_uri(artifact_uri)


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Copy an artifact file or directory to ``dst_path`` (a new temp dir by default)."""
    repo, path = _locate(artifact_uri, run_id, artifact_path, tracking_uri)
    import tempfile

    destination = dst_path or tempfile.mkdtemp(prefix="runwell-artifacts-")
    os.makedirs(destination, exist_ok=True)
    return str(repo.download_artifacts(path, destination))


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    repo, path = _locate(artifact_uri, run_id, artifact_path, tracking_uri)
    return list(repo.list_artifacts(path or None))


def _read(artifact_uri: str) -> bytes:
    repo, path = _locate(artifact_uri, None, None, None)
    return bytes(repo.read_bytes(path))


def load_text(artifact_uri: str) -> str:
    return _read(artifact_uri).decode("utf-8")


def load_dict(artifact_uri: str) -> Any:
    """A JSON (or YAML, by extension) artifact as a Python object."""
    data = _read(artifact_uri)
    if artifact_uri.lower().endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(data)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"Artifact '{artifact_uri}' is not valid JSON: {exc}") from exc


def load_image(artifact_uri: str) -> Any:
    """An image artifact as a PIL image."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(_read(artifact_uri)))
    image.load()
    return image
