"""The ``data`` of each registry event, in MLflow's shapes (mlflow/webhooks/types.py), and the
example a ``/test`` call sends for an event.
"""

from __future__ import annotations

from typing import Any

from runwell.entities.registry import ModelVersion, RegisteredModel
from runwell.entities.webhook import WebhookEvent

Payload = dict[str, Any]


def registered_model_created(model: RegisteredModel) -> Payload:
    return {
        "name": model.name,
        "tags": model.tags,
        # MLflow sends the request's description as given: "" when there is none.
        "description": model.description or "",
    }


def model_version_created(version: ModelVersion) -> Payload:
    return {
        "name": version.name,
        "version": str(version.version),
        "source": version.source,
        "run_id": version.run_id or None,
        "tags": version.tags,
        "description": version.description or None,
    }


def tag_set(name: str, version: str, key: str, value: str) -> Payload:
    return {"name": name, "version": version, "key": key, "value": value}


def tag_deleted(name: str, version: str, key: str) -> Payload:
    return {"name": name, "version": version, "key": key}


def alias_created(name: str, alias: str, version: str) -> Payload:
    return {"name": name, "alias": alias, "version": version}


def alias_deleted(name: str, alias: str) -> Payload:
    return {"name": name, "alias": alias}


_TAGS = {"example_key": "example_value"}
_EXAMPLES: dict[str, Payload] = {
    "registered_model.created": {
        "name": "example_model",
        "tags": _TAGS,
        "description": "An example registered model",
    },
    "model_version.created": {
        "name": "example_model",
        "version": "1",
        "source": "models:/123",
        "run_id": "abcd1234abcd5678",
        "tags": _TAGS,
        "description": "An example model version",
    },
    "model_version_tag.set": tag_set("example_model", "1", "example_key", "example_value"),
    "model_version_tag.deleted": tag_deleted("example_model", "1", "example_key"),
    "model_version_alias.created": alias_created("example_model", "example_alias", "1"),
    "model_version_alias.deleted": alias_deleted("example_model", "example_alias"),
    "prompt.created": {"name": "example_prompt", "tags": _TAGS, "description": "An example prompt"},
    "prompt_version.created": {
        "name": "example_prompt",
        "version": "1",
        "template": "Hello {{name}}!",
        "tags": _TAGS,
        "description": "An example prompt version",
    },
    "prompt_tag.set": {"name": "example_prompt", "key": "example_key", "value": "example_value"},
    "prompt_tag.deleted": {"name": "example_prompt", "key": "example_key"},
    "prompt_version_tag.set": {
        "name": "example_prompt",
        "version": "1",
        "key": "example_key",
        "value": "example_value",
    },
    "prompt_version_tag.deleted": {"name": "example_prompt", "version": "1", "key": "example_key"},
    "prompt_alias.created": {"name": "example_prompt", "alias": "example_alias", "version": "1"},
    "prompt_alias.deleted": {"name": "example_prompt", "alias": "example_alias"},
    "budget_policy.exceeded": {
        "budget_policy_id": "bp-abc123",
        "budget_unit": "USD",
        "budget_amount": 100.0,
        "current_spend": 105.5,
        "duration_unit": "MONTHS",
        "duration_value": 1,
        "target_scope": "ENDPOINT",
        "workspace": "default",
        "target_value": "ep-abc123",
        "window_start": 1704067200000,
    },
}


def example_for(event: WebhookEvent) -> Payload:
    """What ``/test`` sends for ``event``."""
    return dict(_EXAMPLES[str(event)])
