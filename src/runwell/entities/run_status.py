"""Run status: where a run is in its execution."""

from __future__ import annotations

import enum

from runwell.errors import InvalidArgument


class RunStatus(str, enum.Enum):
    """Where a run is in its execution: a string, as MLflow's ``run.info.status`` is
    (``run.info.status == "FINISHED"``), with MLflow's wire number as ``number``."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    def __str__(self) -> str:
        return self.value

    @property
    def number(self) -> int:
        return _NUMBERS[self]

    @classmethod
    def parse(cls, value: RunStatus | str | int) -> RunStatus:
        """Accept a member, its name (any case) or its number."""
        if isinstance(value, RunStatus):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.upper())
            if member is not None:
                return member
        elif isinstance(value, int) and not isinstance(value, bool):
            for member, number in _NUMBERS.items():
                if number == value:
                    return member
        names = ", ".join(cls.__members__)
        raise InvalidArgument(f"Invalid run status {value!r}: expected one of {names}.")

    @property
    def is_terminated(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


_NUMBERS = {
    RunStatus.RUNNING: 1,
    RunStatus.SCHEDULED: 2,
    RunStatus.FINISHED: 3,
    RunStatus.FAILED: 4,
    RunStatus.KILLED: 5,
}
