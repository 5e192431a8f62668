"""Tracking: the explicit-id client and the fluent API on top of it.

``from runwell.tracking import MlflowClient`` works as ``from mlflow.tracking import
MlflowClient`` does.
"""

from runwell.tracking.client import RunwellClient

MlflowClient = RunwellClient

__all__ = ["MlflowClient", "RunwellClient"]
