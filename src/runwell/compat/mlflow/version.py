"""``mlflow.version``: the MLflow API level runwell speaks, labelled as runwell's."""

from runwell._version import __version__ as _runwell_version

# The MLflow release whose formats and client API runwell is checked against (tests and
# docs/models.md compare with mlflow 3.17).
MLFLOW_API_VERSION = "3.17.2"
VERSION = f"{MLFLOW_API_VERSION}+runwell.{_runwell_version}"
