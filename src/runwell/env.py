"""Every environment variable runwell reads, with its default; read when called, never at import.

Each RUNWELL_* name falls back to MLflow's MLFLOW_* twin, so scripts and tools configured for
MLflow (e.g. a project launched with MLFLOW_RUN_ID) work unchanged.
"""

from __future__ import annotations

import os

from runwell.errors import InvalidArgument

TRACKING_URI = "RUNWELL_TRACKING_URI"
ARTIFACT_ROOT = "RUNWELL_ARTIFACT_ROOT"
RUN_ID = "RUNWELL_RUN_ID"
EXPERIMENT_ID = "RUNWELL_EXPERIMENT_ID"
EXPERIMENT_NAME = "RUNWELL_EXPERIMENT_NAME"
CAPTURE_GIT = "RUNWELL_CAPTURE_GIT"
ASYNC_LOGGING = "RUNWELL_ENABLE_ASYNC_LOGGING"
TRACKING_TOKEN = "RUNWELL_TRACKING_TOKEN"
TRACKING_USERNAME = "RUNWELL_TRACKING_USERNAME"
TRACKING_PASSWORD = "RUNWELL_TRACKING_PASSWORD"
TRACKING_INSECURE_TLS = "RUNWELL_TRACKING_INSECURE_TLS"
TRACKING_SERVER_CERT_PATH = "RUNWELL_TRACKING_SERVER_CERT_PATH"
HTTP_TIMEOUT = "RUNWELL_HTTP_REQUEST_TIMEOUT"
HTTP_MAX_RETRIES = "RUNWELL_HTTP_REQUEST_MAX_RETRIES"
HTTP_BACKOFF_FACTOR = "RUNWELL_HTTP_REQUEST_BACKOFF_FACTOR"
# Object storage: an S3-compatible endpoint (self-hosted stores); boto3 reads the credentials.
S3_ENDPOINT_URL = "RUNWELL_S3_ENDPOINT_URL"
AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
# Where `runwell models prepare-env` keeps model environments (default ~/.runwell/envs).
ENV_ROOT = "RUNWELL_ENV_ROOT"

_MLFLOW_TWINS = {
    TRACKING_URI: "MLFLOW_TRACKING_URI",
    RUN_ID: "MLFLOW_RUN_ID",
    EXPERIMENT_ID: "MLFLOW_EXPERIMENT_ID",
    EXPERIMENT_NAME: "MLFLOW_EXPERIMENT_NAME",
    ASYNC_LOGGING: "MLFLOW_ENABLE_ASYNC_LOGGING",
    TRACKING_TOKEN: "MLFLOW_TRACKING_TOKEN",
    TRACKING_USERNAME: "MLFLOW_TRACKING_USERNAME",
    TRACKING_PASSWORD: "MLFLOW_TRACKING_PASSWORD",
    TRACKING_INSECURE_TLS: "MLFLOW_TRACKING_INSECURE_TLS",
    TRACKING_SERVER_CERT_PATH: "MLFLOW_TRACKING_SERVER_CERT_PATH",
    HTTP_TIMEOUT: "MLFLOW_HTTP_REQUEST_TIMEOUT",
    HTTP_MAX_RETRIES: "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    HTTP_BACKOFF_FACTOR: "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
    S3_ENDPOINT_URL: "MLFLOW_S3_ENDPOINT_URL",
    ENV_ROOT: "MLFLOW_ENV_ROOT",
}


def get(name: str) -> str | None:
    """The value of ``name`` (or its MLFLOW_* twin); empty strings count as unset."""
    value = os.environ.get(name)
    if not value and name in _MLFLOW_TWINS:
        value = os.environ.get(_MLFLOW_TWINS[name])
    return value or None


def number(name: str, default: float) -> float:
    """A numeric setting; a value that is not a number is refused with the variable's name."""
    value = get(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise InvalidArgument(f"Invalid {name}={value!r}: expected a number.") from None


def flag(name: str, default: bool) -> bool:
    value = get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
