"""LoggedModel: a model a run (or nothing) logged, with its own id, files, tags and params.

MLflow 3 gave models an identity of their own (``m-<32 hex>``): ``log_model`` creates one in
state PENDING, uploads its files under ``<experiment artifact location>/models/<id>/artifacts``
and finalizes it READY (or FAILED). Runs point at the models they produced or consumed through
``Run.outputs``/``Run.inputs``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runwell.entities.lifecycle import LifecycleStage
from runwell.entities.metric import Metric
from runwell.errors import InvalidArgument

_PROTO_NAMES = {
    0: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    1: "LOGGED_MODEL_PENDING",
    2: "LOGGED_MODEL_READY",
    3: "LOGGED_MODEL_UPLOAD_FAILED",
}


class LoggedModelStatus(enum.IntEnum):
    """Upload states with MLflow's wire numbers.

    Members carry MLflow's short names (those its search filters use); ``proto_name`` is the
    spelling JSON requests and responses carry.
    """

    UNSPECIFIED = 0
    PENDING = 1
    READY = 2
    FAILED = 3

    @property
    def proto_name(self) -> str:
        """The wire spelling, e.g. ``LOGGED_MODEL_READY``."""
        return _PROTO_NAMES[self.value]

    @classmethod
    def parse(cls, value: LoggedModelStatus | str | int) -> LoggedModelStatus:
        """Accept a member, a short or wire name (any case) or a wire number."""
        if isinstance(value, LoggedModelStatus):
            return value
        if isinstance(value, str):
            name = value.strip().upper()
            member = cls.__members__.get(name)
            if member is not None:
                return member
            for number, proto in _PROTO_NAMES.items():
                if proto == name:
                    return cls(number)
        elif isinstance(value, int) and not isinstance(value, bool):
            if value in cls._value2member_map_:
                return cls(value)
        names = ", ".join(_PROTO_NAMES.values())
        raise InvalidArgument(f"Invalid logged model status {value!r}: expected one of {names}.")


@dataclass(frozen=True, slots=True)
class LoggedModelTag:
    """A mutable key/value annotation of a logged model (``mlflow.*`` keys are system tags)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LoggedModelParam:
    """A parameter of a logged model; like a run's, its value does not change once logged."""

    key: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedModel:
    """A logged model: identity, where its files live, its state, tags, params and metrics.

    ``artifact_location`` is the URI its files are uploaded to (MLflow's ``artifact_uri``).
    Times are epoch milliseconds.
    """

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    status_message: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tag_list: tuple[LoggedModelTag, ...] = field(default=(), metadata={"name": "tags"})
    param_list: tuple[LoggedModelParam, ...] = field(default=(), metadata={"name": "params"})
    metrics: tuple[Metric, ...] = ()

    @property
    def tags(self) -> dict[str, str]:
        """As MLflow's ``LoggedModel.tags``: key -> value."""
        return {t.key: t.value for t in self.tag_list}

    @property
    def params(self) -> dict[str, str]:
        """As MLflow's ``LoggedModel.params``: key -> value."""
        return {p.key: p.value for p in self.param_list}

    tag_dict = tags
    param_dict = params
