"""The model registry in MLflow's JSON shapes and paths (reference/mlflow-rest-api.md §3, §5).

A version number travels as a string (``"1"``); a status by name (``READY``); a model's
aliases as ``{alias, version}`` objects, a version's as plain strings. Empty fields are left
out, except the strings the stock server always sends (``description``, ``run_id``,
``run_link``: ``""``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runwell.entities.registry import (
    ModelVersion,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from runwell.errors import InvalidArgument
from runwell.wire.codec import int64_from_json, key_values_from_json

Json = dict[str, Any]

REGISTERED_MODELS_CREATE = "/mlflow/registered-models/create"
REGISTERED_MODELS_GET = "/mlflow/registered-models/get"
REGISTERED_MODELS_RENAME = "/mlflow/registered-models/rename"
REGISTERED_MODELS_UPDATE = "/mlflow/registered-models/update"
REGISTERED_MODELS_DELETE = "/mlflow/registered-models/delete"
REGISTERED_MODELS_SEARCH = "/mlflow/registered-models/search"
REGISTERED_MODELS_LATEST = "/mlflow/registered-models/get-latest-versions"
REGISTERED_MODELS_SET_TAG = "/mlflow/registered-models/set-tag"
REGISTERED_MODELS_DELETE_TAG = "/mlflow/registered-models/delete-tag"
REGISTERED_MODELS_ALIAS = "/mlflow/registered-models/alias"
MODEL_VERSIONS_CREATE = "/mlflow/model-versions/create"
MODEL_VERSIONS_GET = "/mlflow/model-versions/get"
MODEL_VERSIONS_UPDATE = "/mlflow/model-versions/update"
MODEL_VERSIONS_DELETE = "/mlflow/model-versions/delete"
MODEL_VERSIONS_TRANSITION = "/mlflow/model-versions/transition-stage"
MODEL_VERSIONS_DOWNLOAD_URI = "/mlflow/model-versions/get-download-uri"
MODEL_VERSIONS_SEARCH = "/mlflow/model-versions/search"
MODEL_VERSIONS_SET_TAG = "/mlflow/model-versions/set-tag"
MODEL_VERSIONS_DELETE_TAG = "/mlflow/model-versions/delete-tag"


def _put(target: Json, key: str, value: object) -> None:
    if value is not None and value != "" and value != [] and value != ():
        target[key] = value


def model_version_to_json(version: ModelVersion) -> Json:
    out: Json = {
        "name": version.name,
        "version": version.version,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
        "current_stage": version.current_stage,
        "description": version.description,
        "source": version.source,
        "run_id": version.run_id,
        "status": version.status.name,
        "run_link": version.run_link,
    }
    _put(out, "user_id", version.user_id)
    _put(out, "status_message", version.status_message)
    _put(out, "tags", [{"key": t.key, "value": t.value} for t in version.tag_list])
    _put(out, "aliases", list(version.aliases))
    _put(out, "model_id", version.model_id)
    return out


def registered_model_to_json(model: RegisteredModel) -> Json:
    out: Json = {
        "name": model.name,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
    }
    _put(out, "user_id", model.user_id)
    _put(out, "description", model.description)
    _put(out, "latest_versions", [model_version_to_json(v) for v in model.latest_versions])
    _put(out, "tags", [{"key": t.key, "value": t.value} for t in model.tag_list])
    _put(out, "aliases", [{"alias": a.alias, "version": a.version} for a in model.alias_list])
    return out


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"Invalid {what}: expected a JSON object.")
    return value


def _time(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    return 0 if value is None else int64_from_json(value, key)


def model_version_from_json(value: object) -> ModelVersion:
    obj = _object(value, "model_version")
    aliases = obj.get("aliases") or []
    if not isinstance(aliases, list):
        raise InvalidArgument("Invalid model_version.aliases: expected a list of strings.")
    return ModelVersion(
        name=str(obj.get("name", "")),
        version=str(obj.get("version", "")),
        creation_timestamp=_time(obj, "creation_timestamp"),
        last_updated_timestamp=_time(obj, "last_updated_timestamp"),
        current_stage=str(obj.get("current_stage") or "None"),
        description=str(obj.get("description") or ""),
        user_id=str(obj.get("user_id") or ""),
        source=str(obj.get("source") or ""),
        run_id=str(obj.get("run_id") or ""),
        run_link=str(obj.get("run_link") or ""),
        model_id=str(obj.get("model_id") or ""),
        status=ModelVersionStatus.parse(obj.get("status") or "READY"),
        status_message=str(obj.get("status_message") or ""),
        tag_list=tuple(version_tags_from_json(obj.get("tags"), "model_version.tags")),
        aliases=tuple(str(a) for a in aliases),
    )


def registered_model_from_json(value: object) -> RegisteredModel:
    obj = _object(value, "registered_model")
    aliases = obj.get("aliases") or []
    if not isinstance(aliases, list):
        raise InvalidArgument("Invalid registered_model.aliases: expected a list of objects.")
    return RegisteredModel(
        name=str(obj.get("name", "")),
        creation_timestamp=_time(obj, "creation_timestamp"),
        last_updated_timestamp=_time(obj, "last_updated_timestamp"),
        description=str(obj.get("description") or ""),
        user_id=str(obj.get("user_id") or ""),
        latest_versions=tuple(model_version_from_json(v) for v in obj.get("latest_versions") or []),
        tag_list=tuple(model_tags_from_json(obj.get("tags"), "registered_model.tags")),
        alias_list=tuple(
            RegisteredModelAlias(
                alias=str(_object(a, "alias").get("alias", "")),
                version=str(_object(a, "alias").get("version", "")),
            )
            for a in aliases
        ),
    )


def model_tags_from_json(value: object, what: str = "tags") -> list[RegisteredModelTag]:
    return [RegisteredModelTag(key=k, value=v) for k, v in key_values_from_json(value, what)]


def version_tags_from_json(value: object, what: str = "tags") -> list[ModelVersionTag]:
    return [ModelVersionTag(key=k, value=v) for k, v in key_values_from_json(value, what)]
