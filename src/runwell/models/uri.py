"""Model URIs (reference §5): where a model's files are, and a local copy of them.

Accepted:

- a local directory or ``file:`` URI (used in place, never copied);
- ``runs:/<run_id>/<path>``: the run's artifacts; when nothing is stored at ``<path>`` (MLflow
  3 logs models outside the run's artifacts) the first segment names a logged model of that
  run, and the rest of the path is inside it;
- ``models:/m-<id>``: a logged model, at its artifact location;
- ``mlflow-artifacts:``, ``s3://`` and ``http(s)://`` artifact URIs.

- ``models:/<name>/<version>``, ``models:/<name>/<stage>``, ``models:/<name>/latest`` and
  ``models:/<name>@<alias>``: a registered model version, at the location the registry gives.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from runwell.errors import ErrorCode, InvalidArgument, NotFound, RunwellError
from runwell.store import uri as uris
from runwell.store.origins import same_origin
from runwell.store.protocols import ArtifactRepo
from runwell.store.registry_rules import require_ready
from runwell.tracking import async_logging
from runwell.tracking.client import RunwellClient
from runwell.tracking.fluent import get_tracking_uri


@dataclass(frozen=True)
class ModelLocation:
    """A model directory: local (``local_dir``) or ``path`` inside an artifact repository."""

    uri: str
    local_dir: Path | None = None
    repo: ArtifactRepo | None = None
    path: str = ""


def locate_model(model_uri: str, tracking_uri: str | None = None) -> ModelLocation:
    """Where the model named by ``model_uri`` is stored; NotFound when it is not."""
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise InvalidArgument(f"Invalid model URI {model_uri!r}: expected a non-empty string.")
    local = uris.local_path(model_uri)
    if local is not None:
        directory = Path(local)
        if not directory.exists():
            raise NotFound(f"Model directory '{local}' does not exist (from URI '{model_uri}').")
        return ModelLocation(model_uri, local_dir=directory)
    # A model logged in the background (autolog's) is found once its upload is done.
    async_logging.flush_all()
    client = RunwellClient(tracking_uri or get_tracking_uri())
    scheme = urlparse(model_uri).scheme
    if scheme == "models":
        return _logged_model(model_uri, client)
    if scheme == "runs":
        return _run_model(model_uri, client)
    repo, path = client.resolve_artifact_uri(model_uri)
    return ModelLocation(model_uri, repo=repo, path=path)


def download_model(
    model_uri: str, dst_path: str | None = None, tracking_uri: str | None = None
) -> str:
    """A local directory holding the model: the directory itself for local URIs, else a copy."""
    return download_location(locate_model(model_uri, tracking_uri), dst_path)


def download_location(location: ModelLocation, dst_path: str | None = None) -> str:
    """A local directory holding the located model (a copy under ``dst_path`` if remote)."""
    if location.local_dir is not None:
        return str(location.local_dir)
    assert location.repo is not None
    destination = dst_path or tempfile.mkdtemp(prefix="runwell-model-")
    return location.repo.download_artifacts(location.path, destination)


def download_model_file(model_uri: str, file_name: str, tracking_uri: str | None = None) -> str:
    """A local copy of one file of the model (e.g. MLmodel) without fetching the rest."""
    location = locate_model(model_uri, tracking_uri)
    if location.local_dir is not None:
        return str(location.local_dir / file_name)
    assert location.repo is not None
    relative = f"{location.path.rstrip('/')}/{file_name}" if location.path else file_name
    destination = tempfile.mkdtemp(prefix="runwell-model-")
    try:
        return location.repo.download_artifacts(relative, destination)
    except NotFound:
        raise NotFound(
            f"No {file_name} file in the model at '{model_uri}': it is not a model directory."
        ) from None


def _logged_model(model_uri: str, client: RunwellClient) -> ModelLocation:
    parsed = urlparse(model_uri)
    if parsed.netloc:
        raise InvalidArgument(
            f"Invalid model URI '{model_uri}': registry hosts (models://<host>/...) are not "
            "supported; use models:/<model_id>."
        )
    segments = parsed.path.strip("/").split("/")
    if not segments[0]:
        raise InvalidArgument(f"Invalid model URI '{model_uri}': expected models:/<model_id>.")
    if len(segments) > 2:
        raise InvalidArgument(
            f"Not a proper models:/ URI: '{model_uri}'. Expected models:/<model_id>, "
            "models:/<name>/<version> or models:/<name>@<alias>."
        )
    if len(segments) == 2 or "@" in segments[0]:
        # A registered model version (/<version>, /<stage>, /latest or @<alias>): the registry
        # gives the version's artifact location, checked when the version was created.
        location = client.resolve_model_uri(model_uri)
        _refuse_other_servers(model_uri, location, client.tracking_uri)
        return ModelLocation(
            model_uri, repo=uris.artifact_repo(location, client.tracking_uri), path=""
        )
    model = client.store.get_logged_model(segments[0])
    require_ready(model.model_id, model.status)
    repo = uris.artifact_repo(model.artifact_location, client.tracking_uri)
    return ModelLocation(model_uri, repo=repo, path="")


def _refuse_other_servers(model_uri: str, location: str, tracking_uri: str) -> None:
    """A registered version read through a tracking server is read from that server's store.

    A version's source is checked when it is registered (store/registry_sources.py); this
    covers versions registered before those checks, or by another tool writing the database:
    a source naming another server's artifact proxy is refused rather than fetched.
    """
    scheme = urlparse(location).scheme
    if scheme not in ("http", "https", uris.MLFLOW_ARTIFACTS_SCHEME):
        return
    proxied = (
        uris.resolve_proxied_uri(location, tracking_uri)
        if scheme == uris.MLFLOW_ARTIFACTS_SCHEME
        else location
    )
    if not same_origin(proxied, tracking_uri):
        raise RunwellError(
            f"Refusing to load '{model_uri}': its source '{location}' is on "
            f"{urlparse(proxied).netloc}, not on the tracking server {tracking_uri}. A "
            "registered version is read only from its own server's artifact store.",
            ErrorCode.PERMISSION_DENIED,
        )


def _run_model(model_uri: str, client: RunwellClient) -> ModelLocation:
    parsed = urlparse(model_uri)
    if parsed.netloc:
        raise InvalidArgument(
            f"Invalid runs URI '{model_uri}': expected runs:/<run_id>/<path> (no host)."
        )
    run_id, _, path = parsed.path.lstrip("/").partition("/")
    if not run_id:
        raise InvalidArgument(f"Invalid runs URI '{model_uri}': expected runs:/<run_id>/<path>.")
    run = client.get_run(run_id)
    repo = client.artifact_repo_for_run(run_id)
    path = path.strip("/")
    if not path or repo.list_artifacts(path):
        return ModelLocation(model_uri, repo=repo, path=path)
    name, _, inner = path.partition("/")
    page = client.store.search_logged_models(
        [run.info.experiment_id],
        filter_string=f"name = '{name}' AND source_run_id = '{run_id}'",
        order_by=[{"field_name": "creation_timestamp", "ascending": False}],
        max_results=1,
    )
    if not page.items:
        raise NotFound(
            f"No model at '{model_uri}': run {run_id} has no artifacts at '{path}' and no "
            f"logged model named '{name}'."
        )
    model = page.items[0]
    model_repo = uris.artifact_repo(model.artifact_location, client.tracking_uri)
    return ModelLocation(model_uri, repo=model_repo, path=inner)
