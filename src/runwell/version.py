"""MLflow's ``mlflow.version`` path: ``VERSION`` is runwell's own version."""

from runwell._version import __version__

VERSION = __version__

__all__ = ["VERSION"]
