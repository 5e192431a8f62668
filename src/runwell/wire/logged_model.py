"""Logged models and run model links in MLflow's JSON shapes (reference §3 and §4.3).

A model is ``{"info": {...}, "data": {...}}``; its status travels by its proto name
(``LOGGED_MODEL_READY``), though requests may use the short name or the number. Search
``order_by`` entries are objects, not strings: ``{field_name, ascending, dataset_name,
dataset_digest}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runwell.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
    ModelInput,
    ModelOutput,
)
from runwell.errors import InvalidArgument
from runwell.wire.codec import (
    int64_from_json,
    key_values_from_json,
    metrics_from_json,
    metrics_to_json,
)

Json = dict[str, Any]


def _put(target: Json, key: str, value: object) -> None:
    """Set ``key`` unless the value is unset or empty (proto2 presence)."""
    if value is not None and value != "" and value != []:
        target[key] = value


def _pairs(items: Sequence[LoggedModelTag] | Sequence[LoggedModelParam]) -> list[Json]:
    return [{"key": item.key, "value": item.value} for item in items]


def logged_model_to_json(model: LoggedModel) -> Json:
    info: Json = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": model.creation_timestamp_ms,
        "last_updated_timestamp_ms": model.last_updated_timestamp_ms,
        "artifact_uri": model.artifact_location,
        "status": model.status.proto_name,
    }
    _put(info, "model_type", model.model_type)
    _put(info, "source_run_id", model.source_run_id)
    _put(info, "status_message", model.status_message)
    _put(info, "tags", _pairs(model.tag_list))
    data: Json = {}
    _put(data, "params", _pairs(model.param_list))
    _put(data, "metrics", metrics_to_json(model.metrics))
    return {"info": info, "data": data}


def logged_model_from_json(obj: Mapping[str, Any]) -> LoggedModel:
    """The entity a server sent; the lifecycle stage is not on the wire (read: active)."""
    info = obj.get("info") or {}
    data = obj.get("data") or {}
    if not isinstance(info, Mapping) or not isinstance(data, Mapping):
        raise InvalidArgument("Invalid logged model: 'info' and 'data' must be JSON objects.")
    created = int64_from_json(info.get("creation_timestamp_ms", 0), "creation_timestamp_ms")
    updated = info.get("last_updated_timestamp_ms")
    return LoggedModel(
        model_id=str(info.get("model_id", "")),
        experiment_id=str(info.get("experiment_id", "")),
        name=str(info.get("name", "")),
        artifact_location=str(info.get("artifact_uri", "")),
        creation_timestamp_ms=created,
        last_updated_timestamp_ms=(
            created if updated is None else int64_from_json(updated, "last_updated_timestamp_ms")
        ),
        status=status_from_json(info.get("status", 0)),
        status_message=info.get("status_message") or None,
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        lifecycle_stage=LifecycleStage.ACTIVE,
        tag_list=tuple(logged_model_tags_from_json(info.get("tags"), "info.tags")),
        param_list=tuple(logged_model_params_from_json(data.get("params"), "data.params")),
        metrics=tuple(metrics_from_json(data.get("metrics"), "data.metrics")),
    )


def status_from_json(value: object, what: str = "status") -> LoggedModelStatus:
    """A status by proto name, short name or number; the error names the field."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return LoggedModelStatus.parse(int(value) if _digits(value) else value)
        except InvalidArgument:
            pass
    names = ", ".join(s.proto_name for s in LoggedModelStatus)
    raise InvalidArgument(
        f"Invalid value {value!r} for parameter '{what}': expected one of {names}."
    )


def _digits(value: str | int) -> bool:
    return isinstance(value, str) and value.strip().isdigit()


def logged_model_tags_from_json(value: object, what: str = "tags") -> list[LoggedModelTag]:
    return [LoggedModelTag(key=k, value=v) for k, v in key_values_from_json(value, what)]


def logged_model_params_from_json(value: object, what: str = "params") -> list[LoggedModelParam]:
    return [LoggedModelParam(key=k, value=v) for k, v in key_values_from_json(value, what)]


def _objects(value: object, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidArgument(f"Invalid value for '{what}': expected a list of objects.")
    return value


def _model_id(item: Mapping[str, Any], where: str) -> str:
    model_id = item.get("model_id")
    if model_id is None or model_id == "":
        raise InvalidArgument(f"Missing value for required parameter '{where}.model_id'.")
    if not isinstance(model_id, str):
        raise InvalidArgument(
            f"Invalid value {model_id!r} for '{where}.model_id': expected a string."
        )
    return model_id


def model_outputs_from_json(value: object, what: str = "models") -> list[ModelOutput]:
    """``runs/outputs`` ``models``: each needs ``model_id`` and ``step``."""
    outputs = []
    for index, item in enumerate(_objects(value, what)):
        where = f"{what}[{index}]"
        step = item.get("step")
        if step is None:
            raise InvalidArgument(f"Missing value for required parameter '{where}.step'.")
        outputs.append(
            ModelOutput(
                model_id=_model_id(item, where), step=int64_from_json(step, f"{where}.step")
            )
        )
    return outputs


def model_inputs_from_json(value: object, what: str = "models") -> list[ModelInput]:
    """``runs/log-inputs`` ``models``: each needs ``model_id``."""
    return [
        ModelInput(model_id=_model_id(item, f"{what}[{index}]"))
        for index, item in enumerate(_objects(value, what))
    ]


def _optional_text(item: Mapping[str, Any], field: str, where: str) -> str | None:
    value = item.get(field)
    if value is None or isinstance(value, str):
        return value
    raise InvalidArgument(f"Invalid value {value!r} for '{where}.{field}': expected a string.")


def order_by_from_json(value: object, what: str = "order_by") -> list[Json]:
    """Search ``order_by`` objects, checked for shape, as the store takes them."""
    entries = []
    for index, item in enumerate(_objects(value, what)):
        where = f"{what}[{index}]"
        name = _optional_text(item, "field_name", where)
        if not name:
            raise InvalidArgument(f"Missing value for required parameter '{where}.field_name'.")
        ascending = item.get("ascending", True)
        if ascending in ("true", "false"):  # protobuf's parser takes both spellings
            ascending = ascending == "true"
        if not isinstance(ascending, bool):
            raise InvalidArgument(
                f"Invalid value {ascending!r} for '{where}.ascending': expected true or false."
            )
        entry: Json = {"field_name": name, "ascending": ascending}
        for field in ("dataset_name", "dataset_digest"):
            text = _optional_text(item, field, where)
            if text:
                entry[field] = text
        entries.append(entry)
    return entries


def datasets_from_json(value: object, what: str = "datasets") -> list[Json]:
    """Search ``datasets`` filters: ``dataset_name`` required, ``dataset_digest`` optional."""
    entries = []
    for index, item in enumerate(_objects(value, what)):
        where = f"{what}[{index}]"
        name = _optional_text(item, "dataset_name", where)
        if not name:
            raise InvalidArgument(f"Missing value for required parameter '{where}.dataset_name'.")
        entry: Json = {"dataset_name": name}
        digest = _optional_text(item, "dataset_digest", where)
        if digest:
            entry["dataset_digest"] = digest
        entries.append(entry)
    return entries
