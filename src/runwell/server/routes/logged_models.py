"""Logged-model RPCs (reference/mlflow-rest-api.md §4.3) and the run calls that link models.

MLflow 3's ``log_model`` creates a model here, links it with ``runs/outputs``, uploads the
files through the artifact proxy to the model's ``artifact_uri`` and finalizes it with a
PATCH. ``{model_id}`` and ``{tag_key}`` come from the URL and win over body fields. The legacy
``runs/log-model`` (Spark flavors still call it) appends the MLmodel dict to the run tag
``mlflow.log-model.history``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runwell.entities import RunTag
from runwell.errors import InvalidArgument
from runwell.server.artifact_paths import safe_artifact_path, safe_file_path
from runwell.server.artifact_roots import open_file
from runwell.server.context import ServerContext, context_of
from runwell.server.request import request_fields
from runwell.server.routes.artifacts import file_response
from runwell.server.routing import Json, rpc, run_id_of
from runwell.store.validation import MAX_TAG_VALUE_LENGTH
from runwell.wire import paths
from runwell.wire.codec import file_info_to_json
from runwell.wire.fields import Fields
from runwell.wire.logged_model import (
    datasets_from_json,
    logged_model_params_from_json,
    logged_model_tags_from_json,
    logged_model_to_json,
    model_outputs_from_json,
    order_by_from_json,
    status_from_json,
)

router = APIRouter(tags=["logged models"])

HISTORY_TAG = "mlflow.log-model.history"
# Tag keys may hold '/', which arrives decoded in the URL path.
_TAG_PATH = paths.LOGGED_MODEL_TAGS + "/{tag_key:path}"
_MLMODEL_FIELDS = ("artifact_path", "flavors", "utc_time_created", "run_id")


@rpc(router, paths.LOGGED_MODELS)
def create_logged_model(context: ServerContext, fields: Fields) -> Json:
    """Create a logged model (PENDING) in an experiment; the model comes back."""
    model = context.tracking().create_logged_model(
        fields.required_text("experiment_id"),
        name=fields.text("name") or None,
        source_run_id=fields.text("source_run_id") or None,
        tags=logged_model_tags_from_json(fields.raw("tags"), "tags"),
        params=logged_model_params_from_json(fields.raw("params"), "params"),
        model_type=fields.text("model_type") or None,
    )
    return {"model": logged_model_to_json(model)}


@rpc(router, paths.LOGGED_MODELS_SEARCH, search=True)
def search_logged_models(context: ServerContext, fields: Fields) -> Json:
    """A page of the experiments' models that match the filter; ``{}`` without experiments."""
    experiment_ids = fields.strings("experiment_ids")
    page = context.tracking().search_logged_models(
        experiment_ids,
        filter_string=fields.text("filter"),
        datasets=datasets_from_json(fields.raw("datasets")),
        max_results=fields.int64("max_results") or None,
        order_by=order_by_from_json(fields.raw("order_by")),
        page_token=fields.text("page_token"),
    )
    out: Json = {}
    if page.items:
        out["models"] = [logged_model_to_json(m) for m in page.items]
    if page.token:
        out["next_page_token"] = page.token
    return out


@rpc(router, paths.LOGGED_MODEL, ("GET",))
def get_logged_model(context: ServerContext, fields: Fields) -> Json:
    """A logged model by id; deleted ones only with ``allow_deleted=true``."""
    model = context.tracking().get_logged_model(
        fields.required_text("model_id"), allow_deleted=fields.boolean("allow_deleted")
    )
    return {"model": logged_model_to_json(model)}


@rpc(router, paths.LOGGED_MODEL, ("PATCH",))
def finalize_logged_model(context: ServerContext, fields: Fields) -> Json:
    """Set the final upload status (``LOGGED_MODEL_READY`` or ``..._UPLOAD_FAILED``)."""
    status = fields.raw("status")
    if status is None or status == "":
        raise Fields.missing("status")
    model = context.tracking().finalize_logged_model(
        fields.required_text("model_id"), status_from_json(status)
    )
    return {"model": logged_model_to_json(model)}


@rpc(router, paths.LOGGED_MODEL, ("DELETE",))
def delete_logged_model(context: ServerContext, fields: Fields) -> Json:
    """Soft-delete a logged model (its files stay)."""
    context.tracking().delete_logged_model(fields.required_text("model_id"))
    return {}


@rpc(router, paths.LOGGED_MODEL_TAGS, ("PATCH",))
def set_logged_model_tags(context: ServerContext, fields: Fields) -> Json:
    """Set (or overwrite) tags of a logged model."""
    tags = logged_model_tags_from_json(fields.raw("tags"), "tags")
    context.tracking().set_logged_model_tags(fields.required_text("model_id"), tags)
    return {}


@rpc(router, _TAG_PATH, ("DELETE",))
def delete_logged_model_tag(context: ServerContext, fields: Fields) -> Json:
    """Remove one tag of a logged model."""
    model_id = fields.required_text("model_id")
    context.tracking().delete_logged_model_tag(model_id, fields.required_text("tag_key"))
    return {}


@rpc(router, paths.LOGGED_MODEL_PARAMS)
def log_logged_model_params(context: ServerContext, fields: Fields) -> Json:
    """Add params to a logged model (at most 100 a call; values do not change once set)."""
    params = logged_model_params_from_json(fields.raw("params"), "params")
    context.tracking().log_logged_model_params(fields.required_text("model_id"), params)
    return {}


@rpc(router, paths.LOGGED_MODEL_DIRECTORIES, ("GET",))
def list_logged_model_artifacts(context: ServerContext, fields: Fields) -> Json:
    """A model's files directly under ``artifact_directory_path`` (all of them, one page)."""
    model = context.tracking().get_logged_model(fields.required_text("model_id"))
    path = safe_artifact_path(fields.text("artifact_directory_path"), allow_root=True)
    infos = context.artifacts.for_uri(model.artifact_location).list_artifacts(path or None)
    out: Json = {"root_uri": model.artifact_location}
    if infos:
        out["files"] = [file_info_to_json(info) for info in infos]
    return out


def _open_model_file(context: ServerContext, fields: Fields) -> tuple[Iterator[bytes], str]:
    model = context.tracking().get_logged_model(fields.required_text("model_id"))
    path = safe_file_path(fields.text("artifact_file_path"))
    return open_file(context.artifacts.for_uri(model.artifact_location), path), path


@router.get(
    paths.LOGGED_MODEL_FILES, response_class=Response, summary="Download a logged model's file"
)
async def download_logged_model_file(request: Request, model_id: str) -> Response:
    """Stream ``artifact_file_path`` of the model as an attachment (UI links)."""
    context = context_of(request)
    context.tracking()
    fields = await request_fields(request)
    chunks, path = await run_in_threadpool(_open_model_file, context, fields)
    return file_response(chunks, path)


@rpc(router, paths.RUNS_OUTPUTS)
def log_outputs(context: ServerContext, fields: Fields) -> Json:
    """Record the models a run produced (``log_model`` sends its model at step 0)."""
    models = model_outputs_from_json(fields.raw("models"), "models")
    context.tracking().log_outputs(run_id_of(fields), models)
    return {}


def appended_history(current: str | None, model: dict[str, Any]) -> str:
    """The history tag with ``model`` appended, oldest entries dropped to fit a tag value.

    A tag value holds at most 8000 characters and is otherwise truncated, which would leave
    invalid JSON; a long history keeps its newest entries instead.
    """
    try:
        history = json.loads(current) if current else []
    except ValueError:
        history = []
    if not isinstance(history, list):
        history = []
    history.append(model)
    while True:
        text = json.dumps(history, separators=(",", ":"))
        if len(text) <= MAX_TAG_VALUE_LENGTH:
            return text
        if len(history) == 1:
            raise InvalidArgument(
                f"Invalid value for 'model_json': the model description takes {len(text)} "
                f"characters, more than a run tag holds ({MAX_TAG_VALUE_LENGTH})."
            )
        history.pop(0)


@rpc(router, paths.RUNS_LOG_MODEL)
def log_model(context: ServerContext, fields: Fields) -> Json:
    """Legacy: append an MLmodel description to the run tag ``mlflow.log-model.history``."""
    run_id = run_id_of(fields)
    text = fields.required_text("model_json")
    try:
        model = json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for 'model_json': not JSON ({exc}).") from None
    if not isinstance(model, dict):
        raise InvalidArgument("Invalid value for 'model_json': expected a JSON object.")
    missing = [f for f in _MLMODEL_FIELDS if f not in model]
    if missing:
        raise InvalidArgument(
            f"Model json is missing mandatory fields: {missing} (in parameter 'model_json')."
        )
    store = context.tracking()
    run = store.get_run(run_id)
    history = appended_history(run.data.tag_dict.get(HISTORY_TAG), model)
    store.set_tag(run_id, RunTag(key=HISTORY_TAG, value=history))
    return {}
