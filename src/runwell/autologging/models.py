"""Log a model into a given run, from any thread.

``runwell.<flavor>.log_model`` logs into the active run of the calling thread; autolog's
background jobs run in another thread, for a run that may have ended, so they log through the
client with the run's id: the same five steps as runwell.models.logged (create the logged
model, link it to the run, save with the flavor's ``save_model``, upload, finalize READY or
FAILED), with the public logged-model calls of RunwellClient.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runwell.autologging.session import RunScope
from runwell.entities import LoggedModelStatus, ModelOutput
from runwell.models.logged import save_into
from runwell.models.model import Model
from runwell.tracking.fluent_models import record_logged_model
from runwell.tracking.fluent_registry import register_model

SaveModel = Callable[[str, Model], None]


def log_model_to_run(
    scope: RunScope,
    name: str,
    save: SaveModel,
    params: Mapping[str, Any] | None = None,
    registered_model_name: str | None = None,
) -> str:
    """Save with ``save(path, model)`` and upload as a logged model of ``scope``'s run.

    Returns:
        The logged model's id (``models:/<id>`` loads it).
    """
    client = scope.client
    logged = client.create_logged_model(
        scope.experiment_id, name=name, source_run_id=scope.run_id, params=params
    )
    record_logged_model(logged.model_id)
    model = Model(
        artifact_path=logged.artifact_location,
        run_id=scope.run_id,
        model_id=logged.model_id,
        model_uuid=logged.model_id,
    )
    try:
        client.store.log_outputs(scope.run_id, [ModelOutput(model_id=logged.model_id, step=0)])
        save_into(logged.artifact_location, client.tracking_uri, lambda local: save(local, model))
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    if registered_model_name is not None:
        register_model(
            f"models:/{logged.model_id}", registered_model_name, tracking_uri=client.tracking_uri
        )
    return logged.model_id
