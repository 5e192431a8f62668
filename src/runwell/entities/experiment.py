"""Experiment: a named group of runs with its own artifact location."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    tag_list: tuple[ExperimentTag, ...] = field(default=(), metadata={"name": "tags"})

    @property
    def tags(self) -> dict[str, str]:
        """The tags as MLflow's ``Experiment.tags`` gives them: key -> value."""
        return {t.key: t.value for t in self.tag_list}

    tag_dict = tags
