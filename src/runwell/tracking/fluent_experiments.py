"""The fluent calls on the active experiment's tags, on restoring what was deleted, and on a
run's parent, under MLflow's names.

The active experiment is the one ``set_experiment`` chose, else RUNWELL_EXPERIMENT_ID /
RUNWELL_EXPERIMENT_NAME, else ``Default``; with a run active, the run's experiment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runwell.entities import Run
from runwell.errors import InvalidArgument
from runwell.tracking import context, fluent


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the active experiment (the value is stored as a string)."""
    fluent._client().set_experiment_tag(fluent.current_experiment_id(), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """Set every tag of ``tags`` on the active experiment."""
    if not isinstance(tags, Mapping):
        raise InvalidArgument(f"Invalid tags {tags!r}: expected a mapping of key to value.")
    client, experiment_id = fluent._client(), fluent.current_experiment_id()
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)


def delete_experiment_tag(key: str) -> None:
    """Delete a tag of the active experiment (NotFound when it has no such tag)."""
    fluent._client().delete_experiment_tag(fluent.current_experiment_id(), key)


def restore_experiment(experiment_id: str) -> None:
    """Bring a deleted experiment (and its runs) back to the active lifecycle stage."""
    fluent._client().restore_experiment(experiment_id)


def restore_run(run_id: str) -> None:
    """Bring a deleted run back to the active lifecycle stage."""
    fluent._client().restore_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The run ``run_id`` was started under (``nested=True``), or None for a top-level run."""
    client = fluent._client()
    parent = client.get_run(run_id).data.tags.get(context.PARENT_RUN_ID)
    return client.get_run(parent) if parent else None
