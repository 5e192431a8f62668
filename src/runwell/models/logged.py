"""``log_model`` as MLflow 3 does it (reference §1 and the logged-model routes).

1. create a logged model (``m-<id>``, PENDING) in the active run's experiment (or the active
   experiment when no run is active), with the run as its source;
2. link it to the run as an output (step 0);
3. save the model to a temporary directory with ``artifact_path`` = the model's artifact
   location, ``model_id``/``model_uuid`` = its id and ``run_id`` = the run;
4. upload the directory to the logged model's artifact location;
5. finalize READY, or FAILED when any step raised (a partial model is never READY).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from runwell.entities import LoggedModelParam, LoggedModelStatus, LoggedModelTag, ModelOutput
from runwell.models.model import Model, ModelInfo
from runwell.store import uri as uris
from runwell.tracking import fluent
from runwell.tracking.client import RunwellClient
from runwell.tracking.fluent_models import record_logged_model

SaveFunction = Callable[[str, Model], None]


def log_model(
    name: str,
    save: SaveFunction,
    model_type: str | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Create the logged model, save with ``save(path, model)`` and upload; see the module.

    With ``registered_model_name``, the model then becomes a new version of that registered
    model (created when missing), as ``runwell.register_model`` does.
    """
    active = fluent.active_run()
    client = RunwellClient(fluent.get_tracking_uri())
    run_id = active.info.run_id if active is not None else None
    experiment_id = fluent.current_experiment_id()
    store = client.store
    logged = store.create_logged_model(
        experiment_id,
        name=name,
        source_run_id=run_id,
        tags=[LoggedModelTag(key=k, value=str(v)) for k, v in (tags or {}).items()],
        params=[LoggedModelParam(key=k, value=str(v)) for k, v in (params or {}).items()],
        model_type=model_type,
    )
    record_logged_model(logged.model_id)
    model = Model(
        artifact_path=logged.artifact_location,
        run_id=run_id,
        model_id=logged.model_id,
        model_uuid=logged.model_id,
    )
    try:
        if run_id is not None:
            store.log_outputs(run_id, [ModelOutput(model_id=logged.model_id, step=step)])
        save_into(logged.artifact_location, client.tracking_uri, lambda local: save(local, model))
    except BaseException:
        store.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    store.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    info = ModelInfo.from_model(model, f"models:/{logged.model_id}", name)
    if registered_model_name is not None:
        from runwell.tracking.fluent_registry import register_model

        version = register_model(
            info.model_uri, registered_model_name, tracking_uri=client.tracking_uri
        )
        info.registered_model_version = int(version.version)
    return info


# log_model's own arguments; a flavor's log_model takes these plus its save_model's.
LOG_ARGUMENTS = ("name", "tags", "params", "model_type", "step", "registered_model_name")


def log_with(save_model: Callable[..., None], arguments: Mapping[str, Any]) -> ModelInfo:
    """A flavor's ``log_model``: ``arguments`` is its ``locals()``, taken first thing.

    Every flavor's ``log_model`` takes its ``save_model``'s arguments (all but ``path`` and
    ``mlflow_model``, under the same names, extra ``**kwargs`` included) plus LOG_ARGUMENTS, so
    one function saves with the first and logs with the second:

        def log_model(sk_model, name, code_paths=None, ..., registered_model_name=None):
            return log_with(save_model, locals())
    """
    save_arguments = {k: v for k, v in arguments.items() if k not in LOG_ARGUMENTS}
    save_arguments.update(save_arguments.pop("kwargs", None) or {})

    def save(path: str, model: Model) -> None:
        save_model(path=path, mlflow_model=model, **save_arguments)

    return log_model(
        arguments["name"],
        save,
        model_type=arguments.get("model_type"),
        tags=arguments.get("tags"),
        params=arguments.get("params"),
        step=arguments.get("step", 0),
        registered_model_name=arguments.get("registered_model_name"),
    )


def save_into(
    artifact_location: str, tracking_uri: str | None, save: Callable[[str], None]
) -> None:
    """Have ``save(path)`` write a model directory, and store it at ``artifact_location``.

    On a local store the directory is written beside its place and renamed into it (no copy);
    elsewhere it is written to a temporary directory and uploaded.
    """
    repo = uris.artifact_repo(artifact_location, tracking_uri)
    staged = getattr(repo, "staged_root", None)
    if staged is not None:
        with staged() as local:
            save(local)
        return
    with tempfile.TemporaryDirectory(prefix="runwell-model-") as tmp:
        local = os.path.join(tmp, "model")
        save(local)
        repo.log_artifacts(local, None)
