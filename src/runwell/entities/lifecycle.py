"""Enumerations shared by experiments and runs: lifecycle stages and view types."""

from __future__ import annotations

import enum

from runwell.errors import InvalidArgument


class LifecycleStage(str, enum.Enum):
    """Whether an experiment or run is live or soft-deleted."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(enum.IntEnum):
    """Which lifecycle stages a search returns (wire values as in MLflow)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def parse(cls, value: ViewType | str | int | None) -> ViewType:
        """Accept a member, its name (any case) or its number; None means ACTIVE_ONLY."""
        if value is None:
            return cls.ACTIVE_ONLY
        if isinstance(value, ViewType):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.upper())
            if member is not None:
                return member
        elif isinstance(value, int) and value in cls._value2member_map_:
            return cls(value)
        raise InvalidArgument(
            f"Invalid view_type {value!r}: expected one of ACTIVE_ONLY, DELETED_ONLY, ALL."
        )

    def stages(self) -> tuple[LifecycleStage, ...]:
        """The lifecycle stages this view includes."""
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)
