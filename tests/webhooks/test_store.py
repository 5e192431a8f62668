"""SqlWebhookStore on every SQL backend: what it keeps, what it refuses, who an event reaches."""

from __future__ import annotations

import pytest

from runwell.entities.webhook import (
    MODEL_VERSION_CREATED,
    MODEL_VERSION_TAG_SET,
    REGISTERED_MODEL_CREATED,
    WebhookStatus,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store.sql.webhooks import SqlWebhookStore

URL = "https://hooks.example.com/registry"


def test_create_keeps_every_field_and_the_secret(db_url: str) -> None:
    store = SqlWebhookStore(db_url)
    hook = store.create_webhook(
        "ci", URL, [MODEL_VERSION_CREATED, REGISTERED_MODEL_CREATED], "d", "s3cret"
    )
    got = store.get_webhook(hook.webhook_id)
    assert got == hook
    assert got.secret == "s3cret"
    assert got.status is WebhookStatus.ACTIVE
    assert set(got.events) == {MODEL_VERSION_CREATED, REGISTERED_MODEL_CREATED}
    assert got.creation_timestamp == got.last_updated_timestamp > 0


def test_update_replaces_events_and_clears_the_secret(db_url: str) -> None:
    store = SqlWebhookStore(db_url)
    hook = store.create_webhook("ci", URL, [MODEL_VERSION_CREATED], secret="s")
    updated = store.update_webhook(
        hook.webhook_id, events=[MODEL_VERSION_TAG_SET], secret="", status=WebhookStatus.DISABLED
    )
    assert updated.events == (MODEL_VERSION_TAG_SET,)
    assert updated.secret is None
    assert updated.status is WebhookStatus.DISABLED
    assert updated.name == "ci" and updated.url == URL


def test_an_event_reaches_only_active_subscribers(db_url: str) -> None:
    store = SqlWebhookStore(db_url)
    first = store.create_webhook("a", URL, [MODEL_VERSION_CREATED, MODEL_VERSION_TAG_SET])
    store.create_webhook("b", URL, [MODEL_VERSION_CREATED], status=WebhookStatus.DISABLED)
    store.create_webhook("c", URL, [REGISTERED_MODEL_CREATED])
    assert [w.name for w in store.active_webhooks_for(MODEL_VERSION_CREATED)] == ["a"]
    assert [w.name for w in store.active_webhooks_for(REGISTERED_MODEL_CREATED)] == ["c"]
    store.delete_webhook(first.webhook_id)
    assert store.active_webhooks_for(MODEL_VERSION_CREATED) == []
    assert store.active_webhooks_for(MODEL_VERSION_TAG_SET) == []
    with pytest.raises(NotFound, match=first.webhook_id):
        store.get_webhook(first.webhook_id)
    with pytest.raises(NotFound):
        store.delete_webhook(first.webhook_id)


def test_list_pages_through_every_webhook(db_url: str) -> None:
    store = SqlWebhookStore(db_url)
    ids = {store.create_webhook(f"h{i}", URL, [MODEL_VERSION_CREATED]).webhook_id for i in range(5)}
    seen: list[str] = []
    token = None
    for _ in range(3):
        page = store.list_webhooks(max_results=2, page_token=token)
        seen += [w.webhook_id for w in page]
        token = page.token
    assert token is None
    assert sorted(seen) == sorted(ids)
    with pytest.raises(InvalidArgument, match="between 1 and 1000"):
        store.list_webhooks(max_results=1001)


@pytest.mark.parametrize(
    ("name", "url", "events"),
    [
        ("", URL, [MODEL_VERSION_CREATED]),
        ("a" * 64, URL, [MODEL_VERSION_CREATED]),
        ("ok", "ws://hooks.example.com/", [MODEL_VERSION_CREATED]),
        ("ok", "https://" + "a" * 2048 + ".com/", [MODEL_VERSION_CREATED]),
        ("ok", URL, []),
    ],
)
def test_create_refuses_what_mlflow_refuses(
    db_url: str, name: str, url: str, events: list[object]
) -> None:
    store = SqlWebhookStore(db_url)
    with pytest.raises(InvalidArgument):
        store.create_webhook(name, url, events)  # type: ignore[arg-type]
    assert store.list_webhooks().items == []
