"""``mlflow.tracking.context.registry``: where MLflow 1.1+ keeps ``resolve_tags``."""

from runwell.compat.mlflow.tracking.context import resolve_tags

__all__ = ["resolve_tags"]
