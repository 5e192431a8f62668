"""Registry webhooks in MLflow's JSON shapes and paths (MLflow's ``webhooks.proto``).

Events travel as ``{"entity": "MODEL_VERSION_TAG", "action": "SET"}`` (protobuf enum names;
their numbers are accepted too, as protobuf's JSON parser does), the status as ``ACTIVE`` or
``DISABLED``. A webhook's ``secret`` is never in an answer. Timestamps are numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runwell.entities.webhook import (
    VALID_EVENTS,
    Webhook,
    WebhookEvent,
    WebhookStatus,
    WebhookTestResult,
)
from runwell.errors import InvalidArgument
from runwell.wire.errors import invalid_value, missing_value

Json = dict[str, Any]

WEBHOOKS = "/mlflow/webhooks"
WEBHOOK = "/mlflow/webhooks/{webhook_id}"
WEBHOOK_TEST = "/mlflow/webhooks/{webhook_id}/test"

# Protobuf enum numbers (webhooks.proto), for clients that send numbers.
_ENTITIES = (
    "entity_unspecified",
    "registered_model",
    "model_version",
    "model_version_tag",
    "model_version_alias",
    "prompt",
    "prompt_version",
    "prompt_tag",
    "prompt_version_tag",
    "prompt_alias",
    "budget_policy",
)
_ACTIONS = ("action_unspecified", "created", "updated", "deleted", "set", "exceeded")
_STATUSES = {"ACTIVE": WebhookStatus.ACTIVE, "DISABLED": WebhookStatus.DISABLED}
_STATUS_NUMBERS = {1: WebhookStatus.ACTIVE, 2: WebhookStatus.DISABLED}


def _enum_name(value: object, names: tuple[str, ...], field: str) -> str:
    if isinstance(value, bool):
        raise invalid_value(field, value)
    if isinstance(value, int) and 0 < value < len(names):
        return names[value]
    if isinstance(value, str) and value.lower() in names[1:]:
        return value.lower()
    raise invalid_value(field, value)


def event_from_json(value: object, field: str = "events") -> WebhookEvent:
    """One ``{entity, action}`` object; a pair MLflow does not define is a 400."""
    if not isinstance(value, Mapping):
        raise invalid_value(field, value)
    if value.get("entity") in (None, ""):
        raise missing_value(f"{field}.entity")
    if value.get("action") in (None, ""):
        raise missing_value(f"{field}.action")
    event = WebhookEvent(
        _enum_name(value["entity"], _ENTITIES, f"{field}.entity"),
        _enum_name(value["action"], _ACTIONS, f"{field}.action"),
    )
    if event not in VALID_EVENTS:
        valid = sorted(e.action for e in VALID_EVENTS if e.entity == event.entity)
        raise InvalidArgument(
            f"Invalid action '{event.action}' for entity '{event.entity}'. "
            f"Valid actions are: {valid}"
        )
    return event


def events_from_json(value: object, field: str = "events") -> tuple[WebhookEvent, ...] | None:
    """A list of events (duplicates dropped, order kept); None when absent or empty."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_value(field, value)
    events = tuple(dict.fromkeys(event_from_json(item, field) for item in value))
    return events or None


def status_from_json(value: object, field: str = "status") -> WebhookStatus | None:
    """``ACTIVE``/``DISABLED`` (or 1/2); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.upper() in _STATUSES:
        return _STATUSES[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value in _STATUS_NUMBERS:
        return _STATUS_NUMBERS[value]
    raise invalid_value(field, value)


def event_to_json(event: WebhookEvent) -> Json:
    return {"entity": event.entity.upper(), "action": event.action.upper()}


def webhook_to_json(webhook: Webhook) -> Json:
    """The answer's ``webhook`` object: everything but the secret."""
    out: Json = {
        "webhook_id": webhook.webhook_id,
        "name": webhook.name,
        "url": webhook.url,
        "events": [event_to_json(e) for e in webhook.events],
        "status": webhook.status.value,
        "creation_timestamp": webhook.creation_timestamp,
        "last_updated_timestamp": webhook.last_updated_timestamp,
    }
    if webhook.description:
        out["description"] = webhook.description
    return out


def test_result_to_json(result: WebhookTestResult) -> Json:
    out: Json = {"success": result.success}
    if result.response_status is not None:
        out["response_status"] = result.response_status
    if result.response_body:
        out["response_body"] = result.response_body
    if result.error_message:
        out["error_message"] = result.error_message
    return out
