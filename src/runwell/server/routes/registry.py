"""Model registry RPCs (reference/mlflow-rest-api.md §5): registered models, versions, tags,
aliases, stages, searches and download URIs.

Deletes carry their fields in a JSON body, as MLflow's client sends them; ``version`` arrives
as a string and must be an integer. ``get-latest-versions`` answers POST and GET (the client
tries POST first). Errors keep MLflow's codes: an existing name is 400
RESOURCE_ALREADY_EXISTS (the client's ``register_model`` relies on it), an unknown model or
version 404, an unknown alias 400.
"""

from __future__ import annotations

from fastapi import APIRouter

from runwell.entities import webhook as events
from runwell.entities.registry import ModelVersionTag, RegisteredModelTag
from runwell.server.context import ServerContext
from runwell.server.routing import Json, rpc
from runwell.server.webhooks import fire, payloads
from runwell.wire import registry as wire
from runwell.wire.fields import Fields

router = APIRouter(tags=["model registry"])


def _page(key: str, items: list[Json], token: str | None) -> Json:
    out: Json = {}
    if items:
        out[key] = items
    if token:
        out["next_page_token"] = token
    return out


def _version(fields: Fields) -> str:
    return fields.required_text("version")


# ---------------------------------------------------------------- registered models


@rpc(router, wire.REGISTERED_MODELS_CREATE)
def create_registered_model(context: ServerContext, fields: Fields) -> Json:
    """Create a registered model; an existing name is 400 RESOURCE_ALREADY_EXISTS."""
    model = context.registry().create_registered_model(
        fields.required_text("name"),
        tags=wire.model_tags_from_json(fields.raw("tags"), "tags"),
        description=fields.text("description"),
    )
    fire(context, events.REGISTERED_MODEL_CREATED, payloads.registered_model_created(model))
    return {"registered_model": wire.registered_model_to_json(model)}


@rpc(router, wire.REGISTERED_MODELS_GET, ("GET",))
def get_registered_model(context: ServerContext, fields: Fields) -> Json:
    """A registered model with its tags, aliases and latest version per stage."""
    model = context.registry().get_registered_model(fields.required_text("name"))
    return {"registered_model": wire.registered_model_to_json(model)}


@rpc(router, wire.REGISTERED_MODELS_RENAME)
def rename_registered_model(context: ServerContext, fields: Fields) -> Json:
    """Rename a registered model; its versions follow."""
    model = context.registry().rename_registered_model(
        fields.required_text("name"), fields.required_text("new_name")
    )
    return {"registered_model": wire.registered_model_to_json(model)}


@rpc(router, wire.REGISTERED_MODELS_UPDATE, ("PATCH",))
def update_registered_model(context: ServerContext, fields: Fields) -> Json:
    """Set a registered model's description."""
    model = context.registry().update_registered_model(
        fields.required_text("name"), fields.text("description")
    )
    return {"registered_model": wire.registered_model_to_json(model)}


@rpc(router, wire.REGISTERED_MODELS_DELETE, ("DELETE",))
def delete_registered_model(context: ServerContext, fields: Fields) -> Json:
    """Delete a registered model with its versions, tags and aliases."""
    context.registry().delete_registered_model(fields.required_text("name"))
    return {}


@rpc(router, wire.REGISTERED_MODELS_SEARCH, ("GET",), search=True)
def search_registered_models(context: ServerContext, fields: Fields) -> Json:
    """A page of registered models matching the filter (name and tags), by name."""
    page = context.registry().search_registered_models(
        filter_string=fields.text("filter"),
        max_results=fields.int64("max_results"),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token"),
    )
    items = [wire.registered_model_to_json(m) for m in page.items]
    return _page("registered_models", items, page.token)


@rpc(router, wire.REGISTERED_MODELS_LATEST, ("POST", "GET"))
def get_latest_versions(context: ServerContext, fields: Fields) -> Json:
    """The highest version in each requested stage (all stages when none are given)."""
    versions = context.registry().get_latest_versions(
        fields.required_text("name"), fields.strings("stages") or None
    )
    return _page("model_versions", [wire.model_version_to_json(v) for v in versions], None)


@rpc(router, wire.REGISTERED_MODELS_SET_TAG)
def set_registered_model_tag(context: ServerContext, fields: Fields) -> Json:
    """Set (or overwrite) a tag of a registered model."""
    tag = RegisteredModelTag(key=fields.required_text("key"), value=fields.text("value") or "")
    context.registry().set_registered_model_tag(fields.required_text("name"), tag)
    return {}


@rpc(router, wire.REGISTERED_MODELS_DELETE_TAG, ("DELETE",))
def delete_registered_model_tag(context: ServerContext, fields: Fields) -> Json:
    """Remove a tag of a registered model."""
    context.registry().delete_registered_model_tag(
        fields.required_text("name"), fields.required_text("key")
    )
    return {}


@rpc(router, wire.REGISTERED_MODELS_ALIAS)
def set_registered_model_alias(context: ServerContext, fields: Fields) -> Json:
    """Point an alias at a version, moving it if it exists."""
    name, alias, version = (
        fields.required_text("name"),
        fields.required_text("alias"),
        _version(fields),
    )
    context.registry().set_registered_model_alias(name, alias, version)
    fire(context, events.MODEL_VERSION_ALIAS_CREATED, payloads.alias_created(name, alias, version))
    return {}


@rpc(router, wire.REGISTERED_MODELS_ALIAS, ("DELETE",))
def delete_registered_model_alias(context: ServerContext, fields: Fields) -> Json:
    """Remove an alias."""
    name, alias = fields.required_text("name"), fields.required_text("alias")
    context.registry().delete_registered_model_alias(name, alias)
    fire(context, events.MODEL_VERSION_ALIAS_DELETED, payloads.alias_deleted(name, alias))
    return {}


@rpc(router, wire.REGISTERED_MODELS_ALIAS, ("GET",))
def get_model_version_by_alias(context: ServerContext, fields: Fields) -> Json:
    """The version an alias points at."""
    version = context.registry().get_model_version_by_alias(
        fields.required_text("name"), fields.required_text("alias")
    )
    return {"model_version": wire.model_version_to_json(version)}


# ---------------------------------------------------------------- model versions


@rpc(router, wire.MODEL_VERSIONS_CREATE)
def create_model_version(context: ServerContext, fields: Fields) -> Json:
    """Register a new version (READY at once) after checking its source."""
    version = context.registry().create_model_version(
        fields.required_text("name"),
        fields.required_text("source"),
        run_id=fields.text("run_id") or None,
        tags=wire.version_tags_from_json(fields.raw("tags"), "tags"),
        run_link=fields.text("run_link") or None,
        description=fields.text("description") or None,
        model_id=fields.text("model_id") or None,
    )
    fire(context, events.MODEL_VERSION_CREATED, payloads.model_version_created(version))
    return {"model_version": wire.model_version_to_json(version)}


@rpc(router, wire.MODEL_VERSIONS_GET, ("GET",))
def get_model_version(context: ServerContext, fields: Fields) -> Json:
    """One version of a registered model."""
    version = context.registry().get_model_version(fields.required_text("name"), _version(fields))
    return {"model_version": wire.model_version_to_json(version)}


@rpc(router, wire.MODEL_VERSIONS_UPDATE, ("PATCH",))
def update_model_version(context: ServerContext, fields: Fields) -> Json:
    """Set a version's description."""
    version = context.registry().update_model_version(
        fields.required_text("name"), _version(fields), fields.text("description")
    )
    return {"model_version": wire.model_version_to_json(version)}


@rpc(router, wire.MODEL_VERSIONS_DELETE, ("DELETE",))
def delete_model_version(context: ServerContext, fields: Fields) -> Json:
    """Delete a version and its aliases; its number is not reused."""
    context.registry().delete_model_version(fields.required_text("name"), _version(fields))
    return {}


@rpc(router, wire.MODEL_VERSIONS_TRANSITION)
def transition_model_version_stage(context: ServerContext, fields: Fields) -> Json:
    """Move a version to a stage (any case), optionally archiving the stage's others."""
    if fields.raw("archive_existing_versions") is None:
        raise Fields.missing("archive_existing_versions")
    version = context.registry().transition_model_version_stage(
        fields.required_text("name"),
        _version(fields),
        fields.required_text("stage"),
        fields.boolean("archive_existing_versions"),
    )
    return {"model_version": wire.model_version_to_json(version)}


@rpc(router, wire.MODEL_VERSIONS_DOWNLOAD_URI, ("GET",))
def get_model_version_download_uri(context: ServerContext, fields: Fields) -> Json:
    """Where the version's files are (a logged model's location for ``models:/m-...``)."""
    uri = context.registry().get_model_version_download_uri(
        fields.required_text("name"), _version(fields)
    )
    return {"artifact_uri": uri}


@rpc(router, wire.MODEL_VERSIONS_SEARCH, ("GET",), search=True)
def search_model_versions(context: ServerContext, fields: Fields) -> Json:
    """A page of versions matching the filter, newest update first by default."""
    page = context.registry().search_model_versions(
        filter_string=fields.text("filter"),
        max_results=fields.int64("max_results"),
        order_by=fields.strings("order_by"),
        page_token=fields.text("page_token"),
    )
    items = [wire.model_version_to_json(v) for v in page.items]
    return _page("model_versions", items, page.token)


@rpc(router, wire.MODEL_VERSIONS_SET_TAG)
def set_model_version_tag(context: ServerContext, fields: Fields) -> Json:
    """Set (or overwrite) a tag of a version."""
    tag = ModelVersionTag(key=fields.required_text("key"), value=fields.text("value") or "")
    name, version = fields.required_text("name"), _version(fields)
    context.registry().set_model_version_tag(name, version, tag)
    fire(context, events.MODEL_VERSION_TAG_SET, payloads.tag_set(name, version, tag.key, tag.value))
    return {}


@rpc(router, wire.MODEL_VERSIONS_DELETE_TAG, ("DELETE",))
def delete_model_version_tag(context: ServerContext, fields: Fields) -> Json:
    """Remove a tag of a version."""
    name, version, key = fields.required_text("name"), _version(fields), fields.required_text("key")
    context.registry().delete_model_version_tag(name, version, key)
    fire(context, events.MODEL_VERSION_TAG_DELETED, payloads.tag_deleted(name, version, key))
    return {}
