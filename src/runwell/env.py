"""Every environment variable runwell reads, with its default; read when called, never at import.

Each RUNWELL_* name falls back to MLflow's MLFLOW_* twin, so scripts and tools configured for
MLflow (e.g. a project launched with MLFLOW_RUN_ID) work unchanged.
"""

from __future__ import annotations

import os

TRACKING_URI = "RUNWELL_TRACKING_URI"
ARTIFACT_ROOT = "RUNWELL_ARTIFACT_ROOT"
RUN_ID = "RUNWELL_RUN_ID"
EXPERIMENT_ID = "RUNWELL_EXPERIMENT_ID"
EXPERIMENT_NAME = "RUNWELL_EXPERIMENT_NAME"
CAPTURE_GIT = "RUNWELL_CAPTURE_GIT"
ASYNC_LOGGING = "RUNWELL_ENABLE_ASYNC_LOGGING"

_MLFLOW_TWINS = {
    TRACKING_URI: "MLFLOW_TRACKING_URI",
    RUN_ID: "MLFLOW_RUN_ID",
    EXPERIMENT_ID: "MLFLOW_EXPERIMENT_ID",
    EXPERIMENT_NAME: "MLFLOW_EXPERIMENT_NAME",
    ASYNC_LOGGING: "MLFLOW_ENABLE_ASYNC_LOGGING",
}


def get(name: str) -> str | None:
    """The value of ``name`` (or its MLFLOW_* twin); empty strings count as unset."""
    value = os.environ.get(name)
    if not value and name in _MLFLOW_TWINS:
        value = os.environ.get(_MLFLOW_TWINS[name])
    return value or None


def flag(name: str, default: bool) -> bool:
    value = get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
