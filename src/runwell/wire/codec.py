"""Entities to MLflow's JSON shapes and back.

Encoding follows the wire rules of reference/mlflow-rest-api.md §1.3: proto field names, int64
as JSON numbers, enums by name, non-finite doubles as ``"NaN"``/``"Infinity"``/``"-Infinity"``,
and unset or empty fields left out. Decoding accepts what MLflow's server sends back, so the REST
store and the server share one definition of every shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    FileInfo,
    InputTag,
    LifecycleStage,
    Metric,
    ModelInput,
    ModelOutput,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from runwell.wire.errors import invalid_value, missing_value

Json = dict[str, Any]

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def double_to_json(value: float) -> float | str:
    """A double as MLflow writes it: a number, or a string for NaN and the infinities."""
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def double_from_json(value: object, what: str) -> float:
    """A JSON number or one of the non-finite spellings; bools and other strings are refused."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        special = _NON_FINITE.get(value)
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            pass
    raise invalid_value(what, value)


def int64_from_json(value: object, what: str) -> int:
    """A JSON integer or a numeric string (protobuf's int64 form)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise invalid_value(what, value)


def _key_values(items: Sequence[Any]) -> list[Json]:
    return [{"key": item.key, "value": item.value} for item in items]


def _put(target: Json, key: str, value: object) -> None:
    """Set ``key`` unless the value is unset or empty (proto2 presence)."""
    if value is not None and value != "" and value != [] and value != {}:
        target[key] = value


# ---------------------------------------------------------------- encoding


def experiment_to_json(experiment: Experiment) -> Json:
    out: Json = {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage.value,
    }
    _put(out, "last_update_time", experiment.last_update_time)
    _put(out, "creation_time", experiment.creation_time)
    _put(out, "tags", _key_values(experiment.tag_list))
    return out


def metric_to_json(metric: Metric) -> Json:
    return {
        "key": metric.key,
        "value": double_to_json(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
    }


def metrics_to_json(metrics: Sequence[Metric]) -> list[Json]:
    """Many metrics at once: the history and batch paths, kept free of per-point calls."""
    out: list[Json] = []
    append = out.append
    for m in metrics:
        value: float | str = m.value
        if m.value - m.value != 0.0:  # NaN or ±inf
            value = double_to_json(m.value)
        append({"key": m.key, "value": value, "timestamp": m.timestamp, "step": m.step})
    return out


def run_info_to_json(info: RunInfo) -> Json:
    out: Json = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status.name,
        "start_time": info.start_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage.value,
    }
    _put(out, "end_time", info.end_time)
    return out


def dataset_input_to_json(item: DatasetInput) -> Json:
    dataset = item.dataset
    encoded: Json = {
        "name": dataset.name,
        "digest": dataset.digest,
        "source_type": dataset.source_type,
        "source": dataset.source,
    }
    _put(encoded, "schema", dataset.schema)
    _put(encoded, "profile", dataset.profile)
    out: Json = {"dataset": encoded}
    _put(out, "tags", _key_values(item.tags))
    return out


def run_to_json(run: Run) -> Json:
    data: Json = {}
    _put(data, "metrics", metrics_to_json(run.data.metric_list))
    _put(data, "params", _key_values(run.data.param_list))
    _put(data, "tags", _key_values(run.data.tag_list))
    inputs: Json = {}
    _put(inputs, "dataset_inputs", [dataset_input_to_json(d) for d in run.inputs.dataset_inputs])
    _put(inputs, "model_inputs", [{"model_id": m.model_id} for m in run.inputs.model_inputs])
    out: Json = {"info": run_info_to_json(run.info), "data": data, "inputs": inputs}
    outputs = [{"model_id": m.model_id, "step": m.step} for m in run.outputs.model_outputs]
    if outputs:
        out["outputs"] = {"model_outputs": outputs}
    return out


def file_info_to_json(info: FileInfo) -> Json:
    out: Json = {"path": info.path, "is_dir": info.is_dir}
    if not info.is_dir and info.file_size is not None:
        out["file_size"] = info.file_size
    return out


# ---------------------------------------------------------------- decoding


def _obj(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid_value(what, value)
    return value


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_value(what, value)
    return value


def _text(obj: Mapping[str, Any], field: str, what: str, *, required: bool = True) -> str:
    value = obj.get(field)
    if value is None:
        if required:
            raise missing_value(f"{what}.{field}")
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{what}.{field}", value)
    return value


def key_values_from_json(value: object, what: str) -> list[tuple[str, str]]:
    """``[{key, value}, ...]`` as pairs; a missing value reads as ``""`` (MLflow's default)."""
    pairs = []
    for index, item in enumerate(_list(value, what)):
        where = f"{what}[{index}]"
        obj = _obj(item, where)
        pairs.append((_text(obj, "key", where), _text(obj, "value", where, required=False)))
    return pairs


def metric_from_json(obj: Mapping[str, Any], what: str = "metric") -> Metric:
    if "value" not in obj or obj["value"] is None:
        raise missing_value(f"{what}.value")
    if obj.get("timestamp") is None:
        raise missing_value(f"{what}.timestamp")
    step = obj.get("step")
    return Metric(
        key=_text(obj, "key", what),
        value=double_from_json(obj["value"], f"{what}.value"),
        timestamp=int64_from_json(obj["timestamp"], f"{what}.timestamp"),
        step=0 if step is None else int64_from_json(step, f"{what}.step"),
    )


def metrics_from_json(value: object, what: str = "metrics") -> list[Metric]:
    """A metric list; the common all-finite shape skips the per-field helpers."""
    out: list[Metric] = []
    append = out.append
    for index, item in enumerate(_list(value, what)):
        if type(item) is dict:
            key, number, stamp, step = (
                item.get("key"),
                item.get("value"),
                item.get("timestamp"),
                item.get("step", 0),
            )
            if (
                type(key) is str
                and type(number) in (float, int)
                and type(stamp) is int
                and type(step) is int
            ):
                append(Metric(key=key, value=float(number), timestamp=stamp, step=step))  # type: ignore[arg-type]
                continue
        append(metric_from_json(_obj(item, f"{what}[{index}]"), f"{what}[{index}]"))
    return out


def experiment_from_json(obj: Mapping[str, Any]) -> Experiment:
    tags = key_values_from_json(obj.get("tags"), "experiment.tags")
    return Experiment(
        experiment_id=str(obj["experiment_id"]),
        name=obj.get("name", ""),
        artifact_location=obj.get("artifact_location", ""),
        lifecycle_stage=LifecycleStage(obj.get("lifecycle_stage", "active")),
        creation_time=_optional_int(obj.get("creation_time")),
        last_update_time=_optional_int(obj.get("last_update_time")),
        tag_list=tuple(ExperimentTag(key=k, value=v) for k, v in tags),
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int64_from_json(value, "time")


def run_info_from_json(obj: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=obj.get("run_id") or obj.get("run_uuid") or "",
        experiment_id=str(obj.get("experiment_id", "")),
        run_name=obj.get("run_name", ""),
        user_id=obj.get("user_id", ""),
        status=RunStatus.parse(obj.get("status", "RUNNING")),
        start_time=_optional_int(obj.get("start_time")) or 0,
        end_time=_optional_int(obj.get("end_time")),
        artifact_uri=obj.get("artifact_uri", ""),
        lifecycle_stage=LifecycleStage(obj.get("lifecycle_stage", "active")),
    )


def dataset_input_from_json(obj: Mapping[str, Any], what: str = "datasets") -> DatasetInput:
    dataset = _obj(obj.get("dataset"), f"{what}.dataset")
    where = f"{what}.dataset"
    schema = dataset.get("schema")
    profile = dataset.get("profile")
    return DatasetInput(
        dataset=Dataset(
            name=_text(dataset, "name", where),
            digest=_text(dataset, "digest", where),
            source_type=_text(dataset, "source_type", where),
            source=_text(dataset, "source", where),
            schema=schema if isinstance(schema, str) and schema else None,
            profile=profile if isinstance(profile, str) and profile else None,
        ),
        tags=tuple(
            InputTag(key=k, value=v)
            for k, v in key_values_from_json(obj.get("tags"), f"{what}.tags")
        ),
    )


def run_from_json(obj: Mapping[str, Any]) -> Run:
    data = obj.get("data") or {}
    inputs = obj.get("inputs") or {}
    outputs = obj.get("outputs") or {}
    return Run(
        info=run_info_from_json(obj.get("info") or {}),
        data=RunData(
            metrics=tuple(metrics_from_json(data.get("metrics"), "run.data.metrics")),
            params=tuple(
                Param(key=k, value=v) for k, v in key_values_from_json(data.get("params"), "params")
            ),
            tags=tuple(
                RunTag(key=k, value=v) for k, v in key_values_from_json(data.get("tags"), "tags")
            ),
        ),
        inputs=RunInputs(
            dataset_inputs=tuple(
                dataset_input_from_json(d) for d in _list(inputs.get("dataset_inputs"), "inputs")
            ),
            model_inputs=tuple(
                ModelInput(model_id=m["model_id"]) for m in _list(inputs.get("model_inputs"), "in")
            ),
        ),
        outputs=RunOutputs(
            model_outputs=tuple(
                ModelOutput(model_id=m["model_id"], step=int(m.get("step", 0)))
                for m in _list(outputs.get("model_outputs"), "outputs")
            )
        ),
    )


def file_info_from_json(obj: Mapping[str, Any]) -> FileInfo:
    size = obj.get("file_size")
    return FileInfo(
        path=obj["path"],
        is_dir=bool(obj.get("is_dir", False)),
        file_size=None if size is None else int(size),
    )
