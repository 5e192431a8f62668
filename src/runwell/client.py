"""MLflow's ``mlflow.client`` path: ``from runwell.client import MlflowClient`` works."""

from runwell.tracking.client import RunwellClient

MlflowClient = RunwellClient

__all__ = ["MlflowClient", "RunwellClient"]
