"""Param: an immutable string-valued input of a run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Param:
    """A run parameter; once logged, its value may not change."""

    key: str
    value: str
