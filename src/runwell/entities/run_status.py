"""Run status: where a run is in its execution."""

from __future__ import annotations

import enum

from runwell.errors import InvalidArgument


class RunStatus(enum.IntEnum):
    """Run statuses with MLflow's wire numbers."""

    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5

    @classmethod
    def parse(cls, value: RunStatus | str | int) -> RunStatus:
        """Accept a member, its name (any case) or its number."""
        if isinstance(value, RunStatus):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.upper())
            if member is not None:
                return member
        elif isinstance(value, int) and value in cls._value2member_map_:
            return cls(value)
        names = ", ".join(cls.__members__)
        raise InvalidArgument(f"Invalid run status {value!r}: expected one of {names}.")

    @property
    def is_terminated(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)
