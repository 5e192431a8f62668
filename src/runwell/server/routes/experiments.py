"""Experiment RPCs (reference/mlflow-rest-api.md §4.1).

The SQL store owns the rules (names, uniqueness, lifecycle); this module maps fields to store
calls. Protocol-level rules the store does not know live here: ``experiments/search`` has no
default page size on the wire, so a missing ``max_results`` is a 400 as on the stock server;
and a relative local ``artifact_location`` is made absolute against the server's working
directory, as the stock server's SQL store does (``my_location`` -> ``<cwd>/my_location``,
``file:rel`` -> ``file://<cwd>/rel``). Reads from a local location stay limited to the
server's artifact roots (server/artifact_roots.py), wherever the location points.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter

from runwell.entities import ExperimentTag, ViewType
from runwell.errors import InvalidArgument, NotFound
from runwell.server.context import ServerContext
from runwell.server.routing import Json, rpc
from runwell.store import uri as uris
from runwell.wire import paths
from runwell.wire.codec import experiment_to_json, key_values_from_json
from runwell.wire.fields import Fields

router = APIRouter(tags=["experiments"])


@rpc(router, paths.EXPERIMENTS_CREATE)
def create_experiment(context: ServerContext, fields: Fields) -> Json:
    """Create an experiment; its id comes back."""
    name = fields.required_text("name")
    tags = [
        ExperimentTag(key=k, value=v) for k, v in key_values_from_json(fields.raw("tags"), "tags")
    ]
    location = _absolute(fields.text("artifact_location"))
    experiment = context.tracking().create_experiment(name, location, tags)
    return {"experiment_id": experiment.experiment_id}


def _absolute(location: str | None) -> str | None:
    """A relative plain path or ``file:`` URI joined to the server's working directory; any
    other location unchanged (validated by the store)."""
    if not location:
        return location
    try:
        local = uris.local_path(location)
    except InvalidArgument:
        return location  # a file URI with a host: the store's rules answer it
    if local is None or Path(local).is_absolute():
        return location
    joined = Path.cwd().joinpath(local).as_posix()
    parts = urlsplit(location)
    if parts.scheme != "file":
        return joined
    return urlunsplit(("file", "", joined, parts.query, parts.fragment))


@rpc(router, paths.EXPERIMENTS_GET, ("GET",))
def get_experiment(context: ServerContext, fields: Fields) -> Json:
    """An experiment by id, deleted ones included."""
    experiment = context.tracking().get_experiment(fields.required_text("experiment_id"))
    return {"experiment": experiment_to_json(experiment)}


@rpc(router, paths.EXPERIMENTS_GET_BY_NAME, ("GET",))
def get_experiment_by_name(context: ServerContext, fields: Fields) -> Json:
    """An experiment by name; RESOURCE_DOES_NOT_EXIST tells the client to create it."""
    name = fields.required_text("experiment_name")
    experiment = context.tracking().find_experiment_by_name(name)
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return {"experiment": experiment_to_json(experiment)}


@rpc(router, paths.EXPERIMENTS_SEARCH, ("POST", "GET"), search=True)
def search_experiments(context: ServerContext, fields: Fields) -> Json:
    """A page of experiments matching a filter, in ``order_by`` order."""
    max_results = fields.int64("max_results")
    if max_results is None:
        raise InvalidArgument(
            "Invalid value for parameter 'max_results': it must be a positive integer."
        )
    page = context.tracking().search_experiments(
        view_type=fields.choice("view_type", ViewType, default=ViewType.ACTIVE_ONLY)
        or ViewType.ACTIVE_ONLY,
        max_results=max_results,
        filter_string=fields.text("filter"),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token"),
    )
    out: Json = {}
    if page.items:
        out["experiments"] = [experiment_to_json(e) for e in page.items]
    if page.token:
        out["next_page_token"] = page.token
    return out


@rpc(router, paths.EXPERIMENTS_DELETE)
def delete_experiment(context: ServerContext, fields: Fields) -> Json:
    """Mark an experiment (and its active runs) deleted."""
    context.tracking().delete_experiment(fields.required_text("experiment_id"))
    return {}


@rpc(router, paths.EXPERIMENTS_RESTORE)
def restore_experiment(context: ServerContext, fields: Fields) -> Json:
    """Bring back a deleted experiment and the runs deleted with it."""
    context.tracking().restore_experiment(fields.required_text("experiment_id"))
    return {}


@rpc(router, paths.EXPERIMENTS_UPDATE)
def update_experiment(context: ServerContext, fields: Fields) -> Json:
    """Rename an experiment."""
    experiment_id = fields.required_text("experiment_id")
    context.tracking().rename_experiment(experiment_id, fields.required_text("new_name"))
    return {}


@rpc(router, paths.EXPERIMENTS_SET_TAG)
def set_experiment_tag(context: ServerContext, fields: Fields) -> Json:
    """Set (or overwrite) one experiment tag."""
    tag = ExperimentTag(key=fields.required_text("key"), value=fields.text("value") or "")
    context.tracking().set_experiment_tag(fields.required_text("experiment_id"), tag)
    return {}


@rpc(router, paths.EXPERIMENTS_DELETE_TAG)
def delete_experiment_tag(context: ServerContext, fields: Fields) -> Json:
    """Remove one experiment tag."""
    experiment_id = fields.required_text("experiment_id")
    context.tracking().delete_experiment_tag(experiment_id, fields.required_text("key"))
    return {}
