"""What every route needs from the app: the stores and the serving mode.

``create_app`` puts one ``ServerContext`` on ``app.state.runwell``; routes fetch it with
``context_of(request)``, so no module holds global state and one process can serve several
apps (tests do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from runwell.errors import Unavailable
from runwell.server.artifact_roots import ArtifactRoots
from runwell.server.limits import Limits
from runwell.store.protocols import TrackingStore
from runwell.store.registry_protocol import RegistryStore
from runwell.store.registry_uri import registry_store


@dataclass(frozen=True)
class ServerContext:
    """The stores behind one app and the switches it was started with."""

    tracking_store: TrackingStore | None
    artifacts: ArtifactRoots
    artifacts_only: bool = False
    registry_store_uri: str | None = None
    registry_store: RegistryStore | None = None
    limits: Limits = field(default_factory=Limits)
    # The registry store opened on first use (the frozen dataclass keeps a mutable slot).
    _opened: dict[str, RegistryStore] = field(default_factory=dict, compare=False, repr=False)

    def tracking(self) -> TrackingStore:
        """The tracking store; 503 in ``--artifacts-only`` mode."""
        if self.artifacts_only or self.tracking_store is None:
            raise Unavailable(
                "This server runs with --artifacts-only: tracking endpoints are disabled."
            )
        return self.tracking_store

    def registry(self) -> RegistryStore:
        """The registry store: the one given, else opened from ``registry_store_uri``, else
        on the tracking store's database; 503 in ``--artifacts-only`` mode."""
        if self.registry_store is not None:
            return self.registry_store
        tracking = self.tracking()
        opened = self._opened.get("store")
        if opened is None:
            uri = self.registry_store_uri or getattr(tracking, "db_url", None)
            if not isinstance(uri, str) or not uri:
                raise Unavailable("This server has no model registry store.")
            opened = self._opened["store"] = registry_store(uri)
        return opened


def context_of(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.runwell
    return context
