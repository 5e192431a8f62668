"""The model registry's entities: registered models, their versions, tags, aliases and stages.

A registered model is a name that collects versions; each version points at a model's files
(``source``) and keeps where it came from (run, logged model, run link) as lineage. Versions are
numbered 1, 2, 3... per model and never reused. An alias is a movable name for one version
(``models:/name@champion``); stages (None/Staging/Production/Archived) are MLflow's older,
deprecated way of doing the same and still work (reference/mlflow-formats.md §6).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runwell.errors import InvalidArgument

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
STAGES = (STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED)
# Only these stages may push their current versions to Archived on a transition.
ARCHIVING_STAGES = (STAGE_STAGING, STAGE_PRODUCTION)


def canonical_stage(stage: str) -> str:
    """The canonical spelling of a stage given in any case (``production`` -> ``Production``)."""
    if isinstance(stage, str):
        for known in STAGES:
            if stage.strip().lower() == known.lower():
                return known
    raise InvalidArgument(
        f"Invalid Model Version stage: {stage!r}. Value must be one of {', '.join(STAGES)}."
    )


class ModelVersionStatus(enum.IntEnum):
    """Registration states with MLflow's wire numbers; runwell registers synchronously."""

    PENDING_REGISTRATION = 1
    FAILED_REGISTRATION = 2
    READY = 3

    @classmethod
    def parse(cls, value: ModelVersionStatus | str | int) -> ModelVersionStatus:
        """A member from itself, its name (any case) or its wire number."""
        if isinstance(value, ModelVersionStatus):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.strip().upper())
            if member is not None:
                return member
            if value.strip().isdigit():
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if value in cls._value2member_map_:
                return cls(value)
        raise InvalidArgument(
            f"Invalid model version status {value!r}: expected one of {', '.join(cls.__members__)}."
        )


@dataclass(frozen=True, slots=True)
class RegisteredModelTag:
    """A key/value annotation of a registered model."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ModelVersionTag:
    """A key/value annotation of one model version."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RegisteredModelAlias:
    """``alias`` points at ``version`` (a decimal string, as on the wire)."""

    alias: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersion:
    """One version of a registered model, with its lineage.

    ``version`` is a decimal string ("1", "2", ...), as MLflow sends it. ``source`` is where the
    files are (``models:/m-<id>``, ``runs:/<run>/model``, ``s3://...``); ``run_id``,
    ``model_id`` and ``run_link`` record where it came from. Times are epoch milliseconds.
    """

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: str = STAGE_NONE
    description: str = ""
    user_id: str = ""
    source: str = ""
    run_id: str = ""
    run_link: str = ""
    model_id: str = ""
    status: ModelVersionStatus = ModelVersionStatus.READY
    status_message: str = ""
    tag_list: tuple[ModelVersionTag, ...] = field(default=(), metadata={"name": "tags"})
    aliases: tuple[str, ...] = ()

    @property
    def tags(self) -> dict[str, str]:
        """The tags as MLflow's ``ModelVersion.tags`` gives them: key -> value."""
        return {t.key: t.value for t in self.tag_list}

    tag_dict = tags


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredModel:
    """A named collection of versions.

    ``latest_versions`` holds, for each stage that has versions, the highest one in it.
    """

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    user_id: str = ""
    latest_versions: tuple[ModelVersion, ...] = ()
    tag_list: tuple[RegisteredModelTag, ...] = field(default=(), metadata={"name": "tags"})
    alias_list: tuple[RegisteredModelAlias, ...] = field(default=(), metadata={"name": "aliases"})

    @property
    def tags(self) -> dict[str, str]:
        """The tags as MLflow's ``RegisteredModel.tags`` gives them: key -> value."""
        return {t.key: t.value for t in self.tag_list}

    @property
    def aliases(self) -> dict[str, str]:
        """As MLflow's ``RegisteredModel.aliases``: alias -> version."""
        return {a.alias: a.version for a in self.alias_list}

    tag_dict = tags
    alias_dict = aliases
