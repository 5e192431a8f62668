"""Registry webhooks on the server: the store behind an app, and firing registry events.

``fire(context, event, payload)`` is what a registry route calls once its write succeeded:
it queues the event for the process's delivery workers (delivery.py) and returns at once.
Webhooks live in the registry's SQL database; with a registry on another server (an http(s)
registry URI) this server has none, and the webhook routes answer 501.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from runwell.entities.webhook import WebhookEvent
from runwell.errors import ErrorCode, RunwellError
from runwell.server.context import ServerContext
from runwell.server.webhooks.delivery import Deliveries
from runwell.store.sql.webhooks import SqlWebhookStore

__all__ = ["fire", "webhook_store"]

logger = logging.getLogger("runwell.server.webhooks")

_stores: dict[str, SqlWebhookStore] = {}
_lock = threading.Lock()
# One queue and set of workers per process, shared by its apps (started on first use).
_deliveries = Deliveries()


def _registry_db_url(context: ServerContext) -> str | None:
    url = getattr(context.registry(), "db_url", None)
    return url if isinstance(url, str) and url else None


def webhook_store(context: ServerContext) -> SqlWebhookStore:
    """The webhooks of the app's registry database (opened once per database URL)."""
    url = _registry_db_url(context)
    if url is None:
        raise RunwellError(
            "Webhooks need the registry in a SQL database; this server's registry is remote.",
            ErrorCode.NOT_IMPLEMENTED,
        )
    with _lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = SqlWebhookStore(url)
        return store


def fire(context: ServerContext, event: WebhookEvent, payload: dict[str, Any]) -> None:
    """Queue ``event`` for delivery to its webhooks; never raises into the route."""
    try:
        store = webhook_store(context)
    except RunwellError as exc:
        logger.debug("No webhooks for %s: %s", event, exc)
        return
    except Exception:  # the registry write succeeded: its answer must not turn into a 500
        logger.exception("Webhooks for %s could not be looked up", event)
        return
    _deliveries.fire(store, event, payload)
