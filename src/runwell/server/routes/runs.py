"""Run RPCs (reference/mlflow-rest-api.md §4.2): lifecycle, logging, search.

Every run-scoped call reads ``run_id`` and falls back to the legacy ``run_uuid`` the client
also sends. The store validates keys, values, limits and lifecycle; batch limits included.
"""

from __future__ import annotations

from fastapi import APIRouter

from runwell.entities import Metric, Param, RunStatus, RunTag, ViewType
from runwell.server.context import ServerContext
from runwell.server.routing import Json, rpc, run_id_of
from runwell.wire import paths
from runwell.wire.codec import (
    dataset_input_from_json,
    key_values_from_json,
    metrics_from_json,
    run_info_to_json,
    run_to_json,
)
from runwell.wire.fields import Fields
from runwell.wire.logged_model import model_inputs_from_json

router = APIRouter(tags=["runs"])


def _run_tags(fields: Fields) -> list[RunTag]:
    return [RunTag(key=k, value=v) for k, v in key_values_from_json(fields.raw("tags"), "tags")]


@rpc(router, paths.RUNS_CREATE)
def create_run(context: ServerContext, fields: Fields) -> Json:
    """Start a run in an experiment; the full run comes back."""
    run = context.tracking().create_run(
        experiment_id=fields.text("experiment_id") or "",
        user_id=fields.text("user_id") or "",
        start_time=fields.int64("start_time") or 0,
        tags=_run_tags(fields),
        run_name=fields.text("run_name") or None,
    )
    return {"run": run_to_json(run)}


@rpc(router, paths.RUNS_UPDATE)
def update_run(context: ServerContext, fields: Fields) -> Json:
    """Change a run's status, end time or name; only the fields given change."""
    info = context.tracking().update_run_info(
        run_id_of(fields),
        status=fields.choice("status", RunStatus),
        end_time=fields.int64("end_time"),
        run_name=fields.text("run_name") or None,
    )
    return {"run_info": run_info_to_json(info)}


@rpc(router, paths.RUNS_DELETE)
def delete_run(context: ServerContext, fields: Fields) -> Json:
    """Soft-delete a run."""
    context.tracking().delete_run(run_id_of(fields))
    return {}


@rpc(router, paths.RUNS_RESTORE)
def restore_run(context: ServerContext, fields: Fields) -> Json:
    """Restore a deleted run."""
    context.tracking().restore_run(run_id_of(fields))
    return {}


@rpc(router, paths.RUNS_GET, ("GET",))
def get_run(context: ServerContext, fields: Fields) -> Json:
    """A run with its latest metrics, params, tags and inputs (deleted runs too)."""
    return {"run": run_to_json(context.tracking().get_run(run_id_of(fields)))}


@rpc(router, paths.RUNS_SEARCH, bulk=True, search=True)
def search_runs(context: ServerContext, fields: Fields) -> Json:
    """A page of runs of some experiments matching a filter, in ``order_by`` order."""
    experiment_ids = fields.strings("experiment_ids")
    if not experiment_ids:
        return {}
    page = context.tracking().search_runs(
        experiment_ids,
        filter_string=fields.text("filter"),
        run_view_type=fields.choice("run_view_type", ViewType, default=ViewType.ACTIVE_ONLY)
        or ViewType.ACTIVE_ONLY,
        max_results=fields.int64("max_results"),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token"),
    )
    out: Json = {}
    if page.items:
        out["runs"] = [run_to_json(run) for run in page.items]
    if page.token:
        out["next_page_token"] = page.token
    return out


@rpc(router, paths.RUNS_LOG_METRIC)
def log_metric(context: ServerContext, fields: Fields) -> Json:
    """Log one metric point; an exact duplicate is ignored."""
    timestamp = fields.int64("timestamp", required=True)
    value = fields.double("value", required=True)
    assert timestamp is not None and value is not None
    metric = Metric(
        key=fields.required_text("key"),
        value=value,
        timestamp=timestamp,
        step=fields.int64("step") or 0,
    )
    context.tracking().log_metric(run_id_of(fields), metric)
    return {}


@rpc(router, paths.RUNS_LOG_PARAMETER)
def log_parameter(context: ServerContext, fields: Fields) -> Json:
    """Log one param; the same value again is fine, a different one is refused."""
    param = Param(key=fields.required_text("key"), value=fields.text("value") or "")
    context.tracking().log_param(run_id_of(fields), param)
    return {}


@rpc(router, paths.RUNS_SET_TAG)
def set_tag(context: ServerContext, fields: Fields) -> Json:
    """Set (or overwrite) one run tag; ``mlflow.runName`` renames the run."""
    tag = RunTag(key=fields.required_text("key"), value=fields.text("value") or "")
    context.tracking().set_tag(run_id_of(fields), tag)
    return {}


@rpc(router, paths.RUNS_DELETE_TAG)
def delete_tag(context: ServerContext, fields: Fields) -> Json:
    """Remove one run tag."""
    context.tracking().delete_tag(run_id_of(fields), fields.required_text("key"))
    return {}


@rpc(router, paths.RUNS_LOG_BATCH)
def log_batch(context: ServerContext, fields: Fields) -> Json:
    """Log metrics, params and tags in one call (at most 1000 entities)."""
    run_id = run_id_of(fields)
    metrics = metrics_from_json(fields.raw("metrics"), "metrics")
    params = [
        Param(key=k, value=v) for k, v in key_values_from_json(fields.raw("params"), "params")
    ]
    context.tracking().log_batch(run_id, metrics=metrics, params=params, tags=_run_tags(fields))
    return {}


@rpc(router, paths.RUNS_LOG_INPUTS)
def log_inputs(context: ServerContext, fields: Fields) -> Json:
    """Record the datasets and logged models a run used."""
    datasets = [
        dataset_input_from_json(item, f"datasets[{index}]")
        for index, item in enumerate(fields.objects("datasets"))
    ]
    models = model_inputs_from_json(fields.raw("models"), "models")
    context.tracking().log_inputs(run_id_of(fields), datasets)
    if models:
        context.tracking().log_model_inputs(run_id_of(fields), models)
    return {}
