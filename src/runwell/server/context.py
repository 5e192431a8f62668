"""What every route needs from the app: the stores and the serving mode.

``create_app`` puts one ``ServerContext`` on ``app.state.runwell``; routes fetch it with
``context_of(request)``, so no module holds global state and one process can serve several
apps (tests do).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from runwell.errors import Unavailable
from runwell.server.artifact_roots import ArtifactRoots
from runwell.store.protocols import TrackingStore


@dataclass(frozen=True)
class ServerContext:
    """The stores behind one app and the switches it was started with."""

    tracking_store: TrackingStore | None
    artifacts: ArtifactRoots
    artifacts_only: bool = False
    registry_store_uri: str | None = None

    def tracking(self) -> TrackingStore:
        """The tracking store; 503 in ``--artifacts-only`` mode."""
        if self.artifacts_only or self.tracking_store is None:
            raise Unavailable(
                "This server runs with --artifacts-only: tracking endpoints are disabled."
            )
        return self.tracking_store


def context_of(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.runwell
    return context
