"""Registry webhooks: an HTTP endpoint called when registry events happen.

An event is an (entity, action) pair from MLflow's table (``model_version_tag.set``); only
the pairs below exist. The secret signs deliveries and never leaves the server: the wire
format (wire/webhooks.py) has no field for it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class WebhookStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event a webhook subscribes to, in MLflow's lower-case names."""

    entity: str
    action: str

    def __str__(self) -> str:
        return f"{self.entity}.{self.action}"


# MLflow 3's events (mlflow.entities.webhook.VALID_ENTITY_ACTIONS). runwell fires the
# registered-model and model-version ones; the prompt and budget events are accepted so that
# a webhook made for MLflow can be stored unchanged, and simply never fire here.
VALID_EVENTS: frozenset[WebhookEvent] = frozenset(
    WebhookEvent(entity, action)
    for entity, actions in {
        "registered_model": ("created",),
        "model_version": ("created",),
        "model_version_tag": ("set", "deleted"),
        "model_version_alias": ("created", "deleted"),
        "prompt": ("created",),
        "prompt_version": ("created",),
        "prompt_tag": ("set", "deleted"),
        "prompt_version_tag": ("set", "deleted"),
        "prompt_alias": ("created", "deleted"),
        "budget_policy": ("exceeded",),
    }.items()
    for action in actions
)

REGISTERED_MODEL_CREATED = WebhookEvent("registered_model", "created")
MODEL_VERSION_CREATED = WebhookEvent("model_version", "created")
MODEL_VERSION_TAG_SET = WebhookEvent("model_version_tag", "set")
MODEL_VERSION_TAG_DELETED = WebhookEvent("model_version_tag", "deleted")
MODEL_VERSION_ALIAS_CREATED = WebhookEvent("model_version_alias", "created")
MODEL_VERSION_ALIAS_DELETED = WebhookEvent("model_version_alias", "deleted")


@dataclass(frozen=True, slots=True)
class Webhook:
    webhook_id: str
    name: str
    url: str
    events: tuple[WebhookEvent, ...]
    status: WebhookStatus
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookTestResult:
    success: bool
    response_status: int | None = None
    response_body: str | None = None
    error_message: str | None = None
