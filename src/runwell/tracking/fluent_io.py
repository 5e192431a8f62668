"""What the active run read and produced, several at once: MLflow 3's ``log_inputs`` and
``log_outputs`` (``log_input`` records one dataset; fluent.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runwell.entities import Dataset, DatasetInput, InputTag
from runwell.errors import InvalidArgument
from runwell.tracking import fluent

_CONTEXT_TAG = "mlflow.data.context"


def _aligned(values: Sequence[Any] | None, count: int, name: str) -> list[Any]:
    if values is None:
        return [None] * count
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InvalidArgument(f"Invalid {name}: expected a list, one entry per dataset.")
    if len(values) != count:
        raise InvalidArgument(
            f"Invalid {name}: {len(values)} entries for {count} datasets; give one per dataset "
            "(None where there is nothing)."
        )
    return list(values)


def log_inputs(
    datasets: Sequence[Any | None] | None = None,
    contexts: Sequence[str | None] | None = None,
    tags_list: Sequence[Mapping[str, str] | None] | None = None,
    models: Sequence[Any | None] | None = None,
) -> None:
    """Record that the active run used ``datasets``, each with its context and tags.

    ``contexts`` and ``tags_list`` line up with ``datasets``; a None dataset is skipped.
    ``models`` (MLflow's ``LoggedModelInput``: objects with ``model_id``) are accepted and
    checked; runwell records a run's models through ``log_outputs`` and ``log_model``.
    """
    given = list(datasets or [])
    contexts_ = _aligned(contexts, len(given), "contexts")
    tags_ = _aligned(tags_list, len(given), "tags_list")
    for index, model in enumerate(models or []):
        if model is not None and not isinstance(getattr(model, "model_id", None), str):
            raise InvalidArgument(f"Invalid models[{index}]: expected an object with a model_id.")
    inputs = []
    for index, (dataset, context, tags) in enumerate(zip(given, contexts_, tags_, strict=True)):
        if dataset is None:
            continue
        entity = dataset.to_entity() if hasattr(dataset, "to_entity") else dataset
        if not isinstance(entity, Dataset):
            raise InvalidArgument(
                f"Invalid datasets[{index}] of type {type(dataset).__name__}: expected a "
                "runwell Dataset (see runwell.data.from_pandas / from_numpy)."
            )
        input_tags = [InputTag(key=k, value=str(v)) for k, v in (tags or {}).items()]
        if context is not None:
            input_tags.append(InputTag(key=_CONTEXT_TAG, value=context))
        inputs.append(DatasetInput(dataset=entity, tags=tuple(input_tags)))
    if inputs:
        fluent._client().log_inputs(fluent._run_id(), inputs)


def log_outputs(models: Sequence[Any] | None = None) -> None:
    """Record that the active run produced these logged models (``model_id`` and ``step``)."""
    if models:
        fluent._client().log_outputs(fluent._run_id(), list(models))
