"""Every environment variable runwell reads, with its default; read when called, never at import.

Each RUNWELL_* name falls back to MLflow's MLFLOW_* twin, so scripts and tools configured for
MLflow (e.g. a project launched with MLFLOW_RUN_ID) work unchanged.
"""

from __future__ import annotations

import os

from runwell.errors import InvalidArgument

TRACKING_URI = "RUNWELL_TRACKING_URI"
REGISTRY_URI = "RUNWELL_REGISTRY_URI"
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
# Offline logging (store/journal/): `online` (default) or `offline`; where journals are kept;
# how many values the background logging queue holds before a logging call waits.
MODE = "RUNWELL_MODE"
SPOOL_DIR = "RUNWELL_SPOOL_DIR"
ASYNC_QUEUE_SIZE = "RUNWELL_ASYNC_LOGGING_QUEUE_SIZE"
# Run context captured by start_run: all of it (user, source name and type stay), the git
# diff artifact, the installed-packages artifact (RUNWELL_CAPTURE_GIT covers every git item).
CAPTURE_CONTEXT = "RUNWELL_CAPTURE_CONTEXT"
CAPTURE_GIT_DIFF = "RUNWELL_CAPTURE_GIT_DIFF"
CAPTURE_REQUIREMENTS = "RUNWELL_CAPTURE_REQUIREMENTS"
# System metrics (system/* on the run): on for every run, seconds between samples, samples
# averaged into one logged point, and a node id that goes into the keys (system/<node>/...).
SYSTEM_METRICS = "RUNWELL_ENABLE_SYSTEM_METRICS_LOGGING"
SYSTEM_METRICS_INTERVAL = "RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL"
SYSTEM_METRICS_SAMPLES = "RUNWELL_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"
SYSTEM_METRICS_NODE_ID = "RUNWELL_SYSTEM_METRICS_NODE_ID"
# `runwell server --auth`: the first admin, created at the first start of an empty user table.
AUTH_ADMIN_USERNAME = "RUNWELL_AUTH_ADMIN_USERNAME"
AUTH_ADMIN_PASSWORD = "RUNWELL_AUTH_ADMIN_PASSWORD"
# Server resource limits (defaults in runwell.server.limits; `runwell server --help`).
MAX_REQUEST_BODY_MB = "RUNWELL_MAX_REQUEST_BODY_MB"
MAX_BATCH_ENTITIES = "RUNWELL_MAX_BATCH_ENTITIES"
MAX_RESULTS = "RUNWELL_MAX_RESULTS"
MAX_UPLOAD_MB = "RUNWELL_MAX_UPLOAD_MB"
MAX_CONCURRENT_UPLOADS = "RUNWELL_MAX_CONCURRENT_UPLOADS"
# Model-version sources outside the run's or logged model's artifact location that an admin
# allows: a comma-separated list of URI prefixes (store/registry_sources.py).
ALLOWED_MODEL_SOURCES = "RUNWELL_ALLOWED_MODEL_SOURCES"
# The SQLite library of the embedded stores: `auto` (the bundled pysqlite3 build when it is
# installed and newer than Python's), `pysqlite3`, or `sqlite3` (Python's own).
SQLITE_DRIVER = "RUNWELL_SQLITE_DRIVER"
# `1` makes `import mlflow` resolve to runwell in tools that import mlflow themselves, where no
# real mlflow is installed (runwell.compat; the runwell_mlflow_alias.pth hook reads it).
MLFLOW_ALIAS = "RUNWELL_MLFLOW_ALIAS"
# Registry webhooks (server/webhooks/): hosts a webhook may reach although they resolve to a
# private, loopback, link-local or reserved address (comma-separated host names, IP addresses
# or networks such as 10.0.0.0/8; MLflow has only the all-or-nothing
# MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS); seconds a delivery attempt may take; retries after a 429,
# 5xx or connection error; the first retry's wait in seconds (doubling each time).
WEBHOOK_ALLOWED_HOSTS = "RUNWELL_WEBHOOK_ALLOWED_HOSTS"
WEBHOOK_TIMEOUT = "RUNWELL_WEBHOOK_REQUEST_TIMEOUT"
WEBHOOK_MAX_RETRIES = "RUNWELL_WEBHOOK_REQUEST_MAX_RETRIES"
WEBHOOK_BACKOFF = "RUNWELL_WEBHOOK_BACKOFF_S"

_MLFLOW_TWINS = {
    TRACKING_URI: "MLFLOW_TRACKING_URI",
    REGISTRY_URI: "MLFLOW_REGISTRY_URI",
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
    SYSTEM_METRICS: "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING",
    SYSTEM_METRICS_INTERVAL: "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL",
    SYSTEM_METRICS_SAMPLES: "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
    SYSTEM_METRICS_NODE_ID: "MLFLOW_SYSTEM_METRICS_NODE_ID",
    WEBHOOK_TIMEOUT: "MLFLOW_WEBHOOK_REQUEST_TIMEOUT",
    WEBHOOK_MAX_RETRIES: "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES",
}


def get(name: str) -> str | None:
    """The value of ``name`` (or its MLFLOW_* twin); empty strings count as unset."""
    value = os.environ.get(name)
    if not value and name in _MLFLOW_TWINS:
        value = os.environ.get(_MLFLOW_TWINS[name])
    return value or None


def unset(name: str) -> None:
    """Remove ``name`` and its MLFLOW_* twin from the environment."""
    os.environ.pop(name, None)
    if name in _MLFLOW_TWINS:
        os.environ.pop(_MLFLOW_TWINS[name], None)


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


def offline() -> bool:
    """Whether RUNWELL_MODE asks for offline logging (``online`` or ``offline``)."""
    value = (get(MODE) or "online").strip().lower()
    if value not in ("online", "offline"):
        raise InvalidArgument(f"Invalid {MODE}={value!r}: expected 'online' or 'offline'.")
    return value == "offline"


def spool_dir() -> str:
    """Where offline and spilled journals are kept: RUNWELL_SPOOL_DIR, else ~/.runwell/spool."""
    return get(SPOOL_DIR) or os.path.join(os.path.expanduser("~"), ".runwell", "spool")


def whole_number(name: str, default: int, minimum: int) -> int:
    """An integer setting of at least ``minimum``; anything else is refused with its name."""
    value = get(name)
    if value is None:
        return default
    try:
        number = int(value.strip().replace("_", ""))
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise InvalidArgument(f"Invalid {name}={value!r}: expected a whole number >= {minimum}.")
    return number


def sqlite_driver() -> str:
    """Which SQLite library RUNWELL_SQLITE_DRIVER asks for: auto, pysqlite3 or sqlite3."""
    value = (get(SQLITE_DRIVER) or "auto").strip().lower()
    if value not in ("auto", "pysqlite3", "sqlite3"):
        raise InvalidArgument(
            f"Invalid {SQLITE_DRIVER}={value!r}: expected 'auto', 'pysqlite3' or 'sqlite3'."
        )
    return value


# How long one search (runs, experiments, registered models, model versions, logged models)
# may run on PostgreSQL or MySQL/MariaDB before the database cancels it, in seconds; 0 turns
# the bound off (store/sql/search_timeout.py). SQLite searches are bounded by the filter caps.
SEARCH_TIMEOUT_S = "RUNWELL_SEARCH_TIMEOUT_S"
DEFAULT_SEARCH_TIMEOUT_S = 30.0


def search_timeout_s() -> float:
    """RUNWELL_SEARCH_TIMEOUT_S: seconds, at least 0 (0: no bound); 30 when unset."""
    seconds = number(SEARCH_TIMEOUT_S, DEFAULT_SEARCH_TIMEOUT_S)
    if not seconds >= 0 or seconds == float("inf"):  # NaN fails the first test
        raise InvalidArgument(
            f"Invalid {SEARCH_TIMEOUT_S}={get(SEARCH_TIMEOUT_S)!r}: expected a number of "
            "seconds >= 0 (0 turns the bound off)."
        )
    return seconds


# Scoring server request limits (defaults in runwell.scoring.limits): columns (named inputs)
# and cells (rows x columns) of one /invocations request.
SCORING_MAX_COLUMNS = "RUNWELL_SCORING_MAX_COLUMNS"
SCORING_MAX_CELLS = "RUNWELL_SCORING_MAX_CELLS"
# Loading models (runwell.models.trust): `1` lets load_model unpickle the files of a model
# that comes from a server or a registry; extra types (module.Class, comma-separated) that
# skops may load, beyond its own list.
ALLOW_PICKLE = "RUNWELL_ALLOW_PICKLE"
SKOPS_TRUSTED_TYPES = "RUNWELL_SKOPS_TRUSTED_TYPES"
