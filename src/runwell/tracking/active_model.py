"""The active model (MLflow 3): the logged model that traces and evaluations of this thread
belong to.

    runwell.set_active_model(name="agent")        # found by name, created when missing
    runwell.get_active_model_id()                 # 'm-…'
    with runwell.set_active_model(model_id=mid):  # for a block only
        ...
    runwell.clear_active_model()

Before any ``set_active_model`` in a thread, the id comes from ``MLFLOW_ACTIVE_MODEL_ID``
(else the legacy ``_MLFLOW_ACTIVE_MODEL_ID``), so a subprocess inherits its parent's model.
The choice lives in the fluent state (per thread), so ``fluent.reset`` forgets it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from runwell.entities.logged_model import LoggedModel, LoggedModelStatus
from runwell.errors import InvalidArgument
from runwell.tracking import fluent

_logger = logging.getLogger(__name__)

ACTIVE_MODEL_ID_ENV = "MLFLOW_ACTIVE_MODEL_ID"
_LEGACY_ACTIVE_MODEL_ID_ENV = "_MLFLOW_ACTIVE_MODEL_ID"
# MLflow's tag on a model whose files live outside the tracking server (create_external_model).
_EXTERNAL_TAG = "mlflow.model.isExternal"
_UNSET = object()  # the thread has not chosen: the environment decides


class ActiveModel:
    """The logged model made active; its attributes are the model's. As a context manager it
    restores the previous active model on exit."""

    def __init__(self, logged_model: LoggedModel, previous: Any) -> None:
        self.logged_model = logged_model
        self._previous = previous

    def __getattr__(self, name: str) -> Any:
        return getattr(self.logged_model, name)

    def __repr__(self) -> str:
        return (
            f"ActiveModel(model_id={self.logged_model.model_id!r}, name={self.logged_model.name!r})"
        )

    def __enter__(self) -> ActiveModel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _set_choice(self._previous)


def _choice() -> Any:
    return getattr(fluent._state.local, "active_model_id", _UNSET)


def _set_choice(value: Any) -> None:
    fluent._state.local.active_model_id = value


def _from_env() -> str | None:
    return os.environ.get(ACTIVE_MODEL_ID_ENV) or os.environ.get(_LEGACY_ACTIVE_MODEL_ID_ENV)


def get_active_model_id() -> str | None:
    """The id of this thread's active model: the one set last, else the environment's."""
    chosen = _choice()
    return _from_env() if chosen is _UNSET else chosen


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> ActiveModel:
    """Make a logged model this thread's active model.

    Args:
        name: the model's name: the newest active model of that name in the active experiment,
            created (as an external model: READY, tagged ``mlflow.model.isExternal``) if none.
        model_id: the model's id; with ``name`` too, the names must match.

    Raises:
        InvalidArgument: neither is given, one is not a non-empty string, or they disagree.
        NotFound: no logged model has ``model_id``.
    """
    for label, value in (("name", name), ("model_id", model_id)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidArgument(f"Invalid {label} {value!r}: expected a non-empty string.")
    if name is None and model_id is None:
        raise InvalidArgument("set_active_model needs a name or a model_id.")
    client = fluent._client()
    if model_id is not None:
        model = client.get_logged_model(model_id)
        if name is not None and model.name != name:
            raise InvalidArgument(
                f"The logged model {model_id!r} is named {model.name!r}, not {name!r}."
            )
    else:
        assert name is not None
        model = _by_name(name)
    active = ActiveModel(model, _choice())
    _set_choice(model.model_id)
    _logger.info("Active model is the logged model %s (%s).", model.model_id, model.name)
    return active


def _by_name(name: str) -> LoggedModel:
    if "'" in name:
        raise InvalidArgument(f"Invalid name {name!r}: a model name cannot contain a quote (').")
    client = fluent._client()
    experiment_id = fluent.current_experiment_id()
    page = client.search_logged_models(
        [experiment_id],
        filter_string=f"name = '{name}'",
        max_results=2,
        order_by=[{"field_name": "creation_timestamp", "ascending": False}],
    )
    if len(page.items) > 1:
        _logger.warning("Several logged models are named %r: the newest becomes active.", name)
    if page.items:
        return page.items[0]
    _logger.info("No logged model is named %r: creating one.", name)
    return create_external_model(name=name, experiment_id=experiment_id)


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A logged model whose files live elsewhere: READY at once, tagged
    ``mlflow.model.isExternal``, linked to ``source_run_id`` (default: the active run) in
    ``experiment_id`` (default: the active experiment)."""
    active = fluent.active_run()
    if source_run_id is None and active is not None:
        source_run_id = active.info.run_id
    client = fluent._client()
    created = client.create_logged_model(
        experiment_id or fluent.current_experiment_id(),
        name=name,
        source_run_id=source_run_id,
        tags={**(tags or {}), _EXTERNAL_TAG: "true"},
        params=params,
        model_type=model_type,
    )
    # An external model has no files to upload, so it is complete at once (as in MLflow).
    return client.finalize_logged_model(created.model_id, LoggedModelStatus.READY)


def clear_active_model() -> None:
    """Forget the active model of this thread, and the environment's default."""
    os.environ.pop(ACTIVE_MODEL_ID_ENV, None)
    os.environ.pop(_LEGACY_ACTIVE_MODEL_ID_ENV, None)
    _set_choice(None)
