"""``mlflow.utils.mlflow_tags``: the system tag keys, under MLflow's names.

Lightning's MLFlowLogger names its run through ``MLFLOW_RUN_NAME``. The keys are the ones
runwell's run context writes (runwell.tracking.context), which are MLflow's.
"""

from runwell.tracking.context import (
    GIT_BRANCH,
    GIT_COMMIT,
    GIT_DIRTY,
    GIT_REPO_URL,
    NOTE,
    PARENT_RUN_ID,
    RUN_NAME,
    SOURCE_NAME,
    SOURCE_TYPE,
    USER,
)

MLFLOW_GIT_BRANCH = GIT_BRANCH
MLFLOW_GIT_COMMIT = GIT_COMMIT
MLFLOW_GIT_DIRTY = GIT_DIRTY
MLFLOW_GIT_REPO_URL = GIT_REPO_URL
MLFLOW_PARENT_RUN_ID = PARENT_RUN_ID
MLFLOW_RUN_NAME = RUN_NAME
MLFLOW_RUN_NOTE = NOTE
MLFLOW_SOURCE_NAME = SOURCE_NAME
MLFLOW_SOURCE_TYPE = SOURCE_TYPE
MLFLOW_USER = USER

__all__ = [
    "MLFLOW_GIT_BRANCH",
    "MLFLOW_GIT_COMMIT",
    "MLFLOW_GIT_DIRTY",
    "MLFLOW_GIT_REPO_URL",
    "MLFLOW_PARENT_RUN_ID",
    "MLFLOW_RUN_NAME",
    "MLFLOW_RUN_NOTE",
    "MLFLOW_SOURCE_NAME",
    "MLFLOW_SOURCE_TYPE",
    "MLFLOW_USER",
]
