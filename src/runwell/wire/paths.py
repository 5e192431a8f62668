"""REST paths of the tracking API (reference/mlflow-rest-api.md §4 and §6).

Every ``/api/2.0`` path is also served under ``/ajax-api/2.0`` for the web UI.
"""

from __future__ import annotations

API_PREFIX = "/api/2.0"
AJAX_PREFIX = "/ajax-api/2.0"
MLFLOW = "/mlflow"
ARTIFACTS = "/mlflow-artifacts/artifacts"
SERVER_INFO = "/api/3.0/mlflow/server-info"

# experiments
EXPERIMENTS_CREATE = "/mlflow/experiments/create"
EXPERIMENTS_GET = "/mlflow/experiments/get"
EXPERIMENTS_GET_BY_NAME = "/mlflow/experiments/get-by-name"
EXPERIMENTS_SEARCH = "/mlflow/experiments/search"
EXPERIMENTS_DELETE = "/mlflow/experiments/delete"
EXPERIMENTS_RESTORE = "/mlflow/experiments/restore"
EXPERIMENTS_UPDATE = "/mlflow/experiments/update"
EXPERIMENTS_SET_TAG = "/mlflow/experiments/set-experiment-tag"
EXPERIMENTS_DELETE_TAG = "/mlflow/experiments/delete-experiment-tag"

# runs
RUNS_CREATE = "/mlflow/runs/create"
RUNS_UPDATE = "/mlflow/runs/update"
RUNS_DELETE = "/mlflow/runs/delete"
RUNS_RESTORE = "/mlflow/runs/restore"
RUNS_GET = "/mlflow/runs/get"
RUNS_SEARCH = "/mlflow/runs/search"
RUNS_LOG_METRIC = "/mlflow/runs/log-metric"
RUNS_LOG_PARAMETER = "/mlflow/runs/log-parameter"
RUNS_SET_TAG = "/mlflow/runs/set-tag"
RUNS_DELETE_TAG = "/mlflow/runs/delete-tag"
RUNS_LOG_BATCH = "/mlflow/runs/log-batch"
RUNS_LOG_INPUTS = "/mlflow/runs/log-inputs"
RUNS_OUTPUTS = "/mlflow/runs/outputs"
METRICS_GET_HISTORY = "/mlflow/metrics/get-history"
METRICS_GET_HISTORY_BULK_INTERVAL = "/mlflow/metrics/get-history-bulk-interval"
ARTIFACTS_LIST = "/mlflow/artifacts/list"
RUNS_LOG_MODEL = "/mlflow/runs/log-model"

# logged models (MLflow 3); ``{model_id}`` and ``{tag_key}`` are URL segments
LOGGED_MODELS = "/mlflow/logged-models"
LOGGED_MODELS_SEARCH = "/mlflow/logged-models/search"
LOGGED_MODEL = "/mlflow/logged-models/{model_id}"
LOGGED_MODEL_TAGS = "/mlflow/logged-models/{model_id}/tags"
LOGGED_MODEL_TAG = "/mlflow/logged-models/{model_id}/tags/{tag_key}"
LOGGED_MODEL_PARAMS = "/mlflow/logged-models/{model_id}/params"
LOGGED_MODEL_DIRECTORIES = "/mlflow/logged-models/{model_id}/artifacts/directories"
LOGGED_MODEL_FILES = "/mlflow/logged-models/{model_id}/artifacts/files"


def api(path: str) -> str:
    """The ``/api/2.0`` form of a path above."""
    return API_PREFIX + path
