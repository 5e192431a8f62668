"""``runwell.register_model``: register a logged model under a name, as ``mlflow.register_model``.

    runwell.register_model("runs:/<run_id>/model", "churn", tags={"team": "growth"})

The registered model is created when missing (an existing one gets a new version). A
``runs:/<run>/<name>`` URI registers the logged model of that name the run produced, when there
is one (MLflow 3's models live outside the run's artifacts), else the run's artifact path;
``models:/m-<id>`` registers that logged model. The version keeps the run and model as lineage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from runwell.errors import AlreadyExists, InvalidArgument
from runwell.store.registry_rules import require_ready
from runwell.tracking import async_logging
from runwell.tracking.client import RunwellClient

if TYPE_CHECKING:
    from runwell.entities.registry import ModelVersion


def _source_of(client: RunwellClient, model_uri: str) -> tuple[str, str | None, str | None]:
    """(source, run_id, model_id) to register for ``model_uri``."""
    parsed = urlparse(model_uri)
    if parsed.scheme == "runs":
        run_id, _, path = parsed.path.lstrip("/").partition("/")
        if not run_id or parsed.netloc:
            raise InvalidArgument(f"Invalid runs:/ URI {model_uri!r}: expected runs:/<id>/<path>.")
        run = client.get_run(run_id)
        if path and "/" not in path.strip("/"):
            name = path.strip("/").replace("'", "\\'")
            found = client.store.search_logged_models(
                [run.info.experiment_id], filter_string=f"name = '{name}'"
            )
            for model in found:
                if model.source_run_id == run_id:
                    require_ready(model.model_id, model.status)
                    return f"models:/{model.model_id}", run_id, model.model_id
        return model_uri, run_id, None
    if parsed.scheme == "models":
        model_id = parsed.path.lstrip("/")
        if model_id.startswith("m-") and "/" not in model_id:
            model = client.store.get_logged_model(model_id)
            require_ready(model_id, model.status)
            return model_uri, model.source_run_id, model_id
    return model_uri, None, None


def register_model(
    model_uri: str,
    name: str,
    tags: Mapping[str, object] | None = None,
    *,
    tracking_uri: str | None = None,
) -> ModelVersion:
    """Register ``model_uri`` as a new version of ``name`` (created when missing).

    Args:
        model_uri: ``runs:/<run_id>/<path>``, ``models:/m-<id>``, or a storage URI.
        name: the registered model's name.
        tags: tags of the new version.
        tracking_uri: the store to register in (default: the current tracking URI).

    Returns:
        The new ModelVersion (READY).
    """
    async_logging.flush_all()  # a model still being logged in the background is READY first
    client = RunwellClient(tracking_uri)
    # The source is checked first: a model that cannot be registered leaves no empty name behind.
    source, run_id, model_id = _source_of(client, model_uri)
    try:
        client.create_registered_model(name)
    except AlreadyExists:
        pass  # a new version of an existing model, as MLflow does
    return client.create_model_version(name, source, run_id=run_id, tags=tags, model_id=model_id)
