"""Tags: mutable key/value annotations of runs and experiments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunTag:
    """A tag on a run (``mlflow.*`` keys are system tags)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ExperimentTag:
    """A tag on an experiment."""

    key: str
    value: str
