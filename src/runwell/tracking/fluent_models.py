"""The fluent calls on logged models and the registry, under MLflow's names.

``initialize_logged_model`` / ``finalize_logged_model`` are the two halves of a model logged by
hand (files uploaded in between); ``last_logged_model`` is the model this process logged last
(by a flavor's ``log_model``, autologging or ``initialize_logged_model``). The searches return
every match, page after page, unless ``max_results`` says fewer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from runwell.entities.logged_model import LoggedModel, LoggedModelStatus
from runwell.entities.registry import ModelVersion, RegisteredModel
from runwell.errors import InvalidArgument
from runwell.tracking import fluent
from runwell.tracking.paging import collect_pages

_PAGE = 1000


def record_logged_model(model_id: str) -> None:
    """Remember ``model_id`` as the model this process logged last."""
    fluent._state.last_model_id = model_id


def get_logged_model(model_id: str) -> LoggedModel:
    return fluent._client().get_logged_model(model_id)


def last_logged_model() -> LoggedModel | None:
    """The model this process logged last, or None before the first."""
    model_id = fluent._state.last_model_id
    return get_logged_model(model_id) if model_id else None


def initialize_logged_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A new PENDING logged model in ``experiment_id`` (else the active run's, else the active
    experiment), from ``source_run_id`` (else the active run, if any). Upload its files under
    its ``artifact_location``, then ``finalize_logged_model(model_id, "READY")``."""
    active = fluent.active_run()
    if experiment_id is None:
        experiment_id = fluent.current_experiment_id()
    if source_run_id is None and active is not None:
        source_run_id = active.info.run_id
    model = fluent._client().create_logged_model(
        str(experiment_id),
        name=name,
        source_run_id=source_run_id,
        tags=tags,
        params=params,
        model_type=model_type,
    )
    record_logged_model(model.model_id)
    return model


def finalize_logged_model(model_id: str, status: LoggedModelStatus | str | int) -> LoggedModel:
    """Set the final status of ``model_id``: READY (every file uploaded) or FAILED."""
    return fluent._client().finalize_logged_model(model_id, status)


def log_model_params(params: Mapping[str, Any], model_id: str | None = None) -> None:
    """Add params to ``model_id`` (else the model this process logged last)."""
    fluent._client().log_model_params(_model_id(model_id, "log_model_params"), params)


def set_logged_model_tags(model_id: str, tags: Mapping[str, Any]) -> None:
    fluent._client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    fluent._client().delete_logged_model_tag(model_id, key)


def _model_id(model_id: str | None, call: str) -> str:
    chosen = model_id or fluent._state.last_model_id
    if not chosen:
        raise InvalidArgument(f"{call} needs a model_id: no model was logged in this process yet.")
    return chosen


def search_logged_models(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    datasets: Sequence[Mapping[str, Any]] | None = None,
    max_results: int | None = None,
    order_by: Sequence[Mapping[str, Any]] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
) -> Any:
    """Logged models of ``experiment_ids`` (else the active experiment) matching
    ``filter_string`` (``metrics.acc > 0.9 AND params.depth = '4'``), as a pandas DataFrame
    (one row per model, MLflow's columns) or, with ``output_format="list"``, the entities."""
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(
            f"Invalid output_format {output_format!r}: expected 'pandas' or 'list'."
        )
    client = fluent._client()
    ids = [str(e) for e in experiment_ids] if experiment_ids else [fluent._active_experiment_id()]
    found: list[LoggedModel] = _all_pages(
        lambda want, token: client.search_logged_models(
            ids, filter_string, datasets, want, order_by, token
        ),
        max_results,
        page=_PAGE,
    )
    return found if output_format == "list" else _frame(found)


def _frame(models: Sequence[LoggedModel]) -> Any:
    import pandas as pd

    columns = (
        "artifact_location",
        "creation_timestamp",
        "experiment_id",
        "last_updated_timestamp",
        "metrics",
        "model_id",
        "model_type",
        "name",
        "params",
        "source_run_id",
        "status",
        "status_message",
        "tags",
    )
    rows = [
        {
            "artifact_location": m.artifact_location,
            "creation_timestamp": m.creation_timestamp_ms,
            "experiment_id": m.experiment_id,
            "last_updated_timestamp": m.last_updated_timestamp_ms,
            "metrics": list(m.metrics) or None,
            "model_id": m.model_id,
            "model_type": m.model_type,
            "name": m.name,
            "params": m.params,
            "source_run_id": m.source_run_id,
            "status": m.status.name,
            "status_message": m.status_message,
            "tags": m.tags,
        }
        for m in models
    ]
    return pd.DataFrame(rows, columns=list(columns))


# ------------------------------------------------------------------ registry


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[RegisteredModel]:
    """Every registered model matching ``filter_string`` (``name LIKE 'wine%'``), or at most
    ``max_results``."""
    client = fluent._client()
    return _all_pages(
        lambda want, token: client.search_registered_models(filter_string, want, order_by, token),
        max_results,
        page=1000,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[ModelVersion]:
    """Every model version matching ``filter_string`` (``name = 'wine' AND tags.ok = 'y'``),
    or at most ``max_results``."""
    client = fluent._client()
    return _all_pages(
        lambda want, token: client.search_model_versions(filter_string, want, order_by, token),
        max_results,
        page=10_000,
    )


def _all_pages(search: Any, max_results: int | None, page: int) -> list[Any]:
    if max_results is not None and (not isinstance(max_results, int) or max_results < 1):
        raise InvalidArgument(f"Invalid max_results {max_results!r}: expected an integer >= 1.")
    return collect_pages(search, max_results, page)


def set_model_version_tag(
    name: str, version: str | int | None = None, key: str | None = None, value: Any = None
) -> None:
    """Set tag ``key`` on version ``version`` of registered model ``name``."""
    if version is None:
        raise InvalidArgument("set_model_version_tag needs a version, e.g. version='1'.")
    if not key:
        raise InvalidArgument("set_model_version_tag needs a tag key, e.g. key='validated'.")
    fluent._client().set_model_version_tag(name, version, key, value)
