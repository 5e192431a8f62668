"""Registry webhook RPCs (MLflow's ``WebhookService``): create, list, get, update, delete, test.

``{webhook_id}`` comes from the URL. A URL is checked against the webhook target policy
(server/webhooks/targets.py) before it is stored: a host that resolves to a private,
loopback, link-local or reserved address is a 400 naming the address, unless
RUNWELL_WEBHOOK_ALLOWED_HOSTS allows it. Answers never carry the secret. ``/test`` sends an
example payload of the webhook's first event (or of ``event``) now and reports the answer.
Only admins may call these routes when the server runs with ``--auth`` (auth/rules.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from runwell.server.context import ServerContext
from runwell.server.routing import Json, rpc
from runwell.server.webhooks import delivery, webhook_store
from runwell.server.webhooks.payloads import example_for
from runwell.server.webhooks.targets import check_target
from runwell.wire import webhooks as wire
from runwell.wire.fields import Fields

router = APIRouter(tags=["webhooks"])


def _present_text(fields: Fields, name: str) -> str | None:
    """A string field that was sent (even empty), else None: update leaves it unchanged."""
    if fields.raw(name) is None:
        return None
    return fields.text(name) or ""


@rpc(router, wire.WEBHOOKS)
def create_webhook(context: ServerContext, fields: Fields) -> Json:
    """Create a webhook for registry events; ACTIVE unless ``status`` says DISABLED."""
    name = fields.required_text("name")
    url = fields.required_text("url")
    events = wire.events_from_json(fields.raw("events"))
    if events is None:
        raise Fields.missing("events")
    description = fields.text("description") or None
    secret = fields.text("secret") or None
    status = wire.status_from_json(fields.raw("status"))
    store = webhook_store(context)
    check_target(url)
    webhook = store.create_webhook(name, url, events, description, secret, status)
    return {"webhook": wire.webhook_to_json(webhook)}


@rpc(router, wire.WEBHOOKS, ("GET",))
def list_webhooks(context: ServerContext, fields: Fields) -> Json:
    """A page of webhooks, newest first (``max_results`` 1 to 1000, default 100)."""
    page = webhook_store(context).list_webhooks(
        max_results=fields.int64("max_results") or None,
        page_token=fields.text("page_token") or None,
    )
    out: Json = {}
    if page.items:
        out["webhooks"] = [wire.webhook_to_json(w) for w in page.items]
    if page.token:
        out["next_page_token"] = page.token
    return out


@rpc(router, wire.WEBHOOK, ("GET",))
def get_webhook(context: ServerContext, fields: Fields) -> Json:
    """One webhook by id."""
    webhook = webhook_store(context).get_webhook(fields.required_text("webhook_id"))
    return {"webhook": wire.webhook_to_json(webhook)}


@rpc(router, wire.WEBHOOK, ("PATCH",))
def update_webhook(context: ServerContext, fields: Fields) -> Json:
    """Change the fields sent; an empty ``secret`` stops signing."""
    url = fields.text("url") or None
    store = webhook_store(context)
    if url is not None:
        check_target(url)
    webhook = store.update_webhook(
        fields.required_text("webhook_id"),
        name=fields.text("name") or None,
        description=_present_text(fields, "description"),
        url=url,
        events=wire.events_from_json(fields.raw("events")),
        secret=_present_text(fields, "secret"),
        status=wire.status_from_json(fields.raw("status")),
    )
    return {"webhook": wire.webhook_to_json(webhook)}


@rpc(router, wire.WEBHOOK, ("DELETE",))
def delete_webhook(context: ServerContext, fields: Fields) -> Json:
    """Delete a webhook."""
    webhook_store(context).delete_webhook(fields.required_text("webhook_id"))
    return {}


@rpc(router, wire.WEBHOOK_TEST)
def test_webhook(context: ServerContext, fields: Fields) -> Json:
    """Send an example payload now; the answer says what the receiver replied."""
    webhook = webhook_store(context).get_webhook(fields.required_text("webhook_id"))
    raw_event = fields.raw("event")
    event = webhook.events[0] if raw_event is None else wire.event_from_json(raw_event, "event")
    result = delivery.test(webhook, event, example_for(event))
    return {"result": wire.test_result_to_json(result)}
