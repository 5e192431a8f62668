"""Datasets a run consumed, and the tags on each use of one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset identified by name and digest; ``source`` and ``schema`` are JSON strings."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class InputTag:
    """A tag on one use of a dataset (e.g. ``mlflow.data.context`` = ``training``)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset used by a run, with the tags of that use."""

    dataset: Dataset
    tags: tuple[InputTag, ...] = ()

    def __post_init__(self) -> None:
        # MLflow's DatasetInput takes a list of tags (or None); entities hold tuples.
        if not isinstance(self.tags, tuple):
            object.__setattr__(self, "tags", tuple(self.tags or ()))
