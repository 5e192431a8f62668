"""Experiment: a named group of runs with its own artifact location."""

from __future__ import annotations

from dataclasses import dataclass

from runwell.entities.lifecycle import LifecycleStage
from runwell.entities.tag import ExperimentTag


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    """An experiment; ids are integer-like strings and ``"0"`` is ``Default``."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: tuple[ExperimentTag, ...] = ()

    @property
    def tag_dict(self) -> dict[str, str]:
        return {t.key: t.value for t in self.tags}
