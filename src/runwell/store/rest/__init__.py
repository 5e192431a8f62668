"""The stores over HTTP: a runwell or MLflow tracking server behind a tracking URI."""

from runwell.store.rest.tracking import RestTrackingStore
from runwell.store.rest.transport import Transport

__all__ = ["RestTrackingStore", "Transport"]
