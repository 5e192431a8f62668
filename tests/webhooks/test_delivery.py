"""Deliveries to a real receiver: every registry event, signed; retries; timeouts; /test; and
the address check made again when a delivery is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import pytest

from tests.webhooks.conftest import Receiver, Server
from tests.webhooks.test_crud import ALL_MODEL_EVENTS

pytestmark = pytest.mark.usefixtures("allow_loopback")

SECRET = "whsec-test-0123456789"


def _registry_writes(server: Server) -> None:
    server.ok(
        "POST",
        "/registered-models/create",
        {"name": "churn", "tags": [{"key": "team", "value": "ml"}], "description": "d"},
    )
    server.ok(
        "POST",
        "/model-versions/create",
        {
            "name": "churn",
            "source": "s3://bucket/churn/1",
            "tags": [{"key": "stage", "value": "new"}],
        },
    )
    version = {"name": "churn", "version": "1"}
    server.ok("POST", "/model-versions/set-tag", {**version, "key": "k", "value": "v"})
    server.ok("DELETE", "/model-versions/delete-tag", {**version, "key": "k"})
    server.ok("POST", "/registered-models/alias", {**version, "alias": "champion"})
    server.ok("DELETE", "/registered-models/alias", {"name": "churn", "alias": "champion"})


def test_every_registry_event_is_delivered_and_signed(server: Server, receiver: Receiver) -> None:
    server.create(receiver.url, ALL_MODEL_EVENTS, secret=SECRET)
    _registry_writes(server)
    deliveries = receiver.wait_for(6)
    by_event = {}
    for delivery in deliveries:
        assert delivery.path == "/hook"
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.signature_is_valid(SECRET)
        assert not delivery.signature_is_valid("another-secret")
        assert abs(int(delivery.headers["x-mlflow-timestamp"]) - time.time()) < 60
        envelope = delivery.json
        assert set(envelope) == {"entity", "action", "timestamp", "data"}
        assert datetime.fromisoformat(envelope["timestamp"]).utcoffset() is not None
        by_event[f"{envelope['entity']}.{envelope['action']}"] = envelope["data"]
    assert len({d.headers["x-mlflow-delivery-id"] for d in deliveries}) == 6
    assert by_event == {
        "registered_model.created": {"name": "churn", "tags": {"team": "ml"}, "description": "d"},
        "model_version.created": {
            "name": "churn",
            "version": "1",
            "source": "s3://bucket/churn/1",
            "run_id": None,
            "tags": {"stage": "new"},
            "description": None,
        },
        "model_version_tag.set": {"name": "churn", "version": "1", "key": "k", "value": "v"},
        "model_version_tag.deleted": {"name": "churn", "version": "1", "key": "k"},
        "model_version_alias.created": {"name": "churn", "alias": "champion", "version": "1"},
        "model_version_alias.deleted": {"name": "churn", "alias": "champion"},
    }


def test_only_subscribed_active_webhooks_receive(
    server: Server, make_receiver: Callable[..., Receiver]
) -> None:
    subscribed, disabled, other = make_receiver(), make_receiver(), make_receiver()
    server.create(disabled.url, [("REGISTERED_MODEL", "CREATED")], status="DISABLED", name="a")
    server.create(other.url, [("MODEL_VERSION", "CREATED")], name="b")
    server.create(subscribed.url, [("REGISTERED_MODEL", "CREATED")], name="c")
    server.ok("POST", "/registered-models/create", {"name": "m"})
    (delivery,) = subscribed.wait_for(1)
    assert "x-mlflow-signature" not in delivery.headers  # no secret, no signature
    assert delivery.json["data"]["name"] == "m"
    time.sleep(0.2)
    assert disabled.deliveries == [] and other.deliveries == []
    assert len(subscribed.deliveries) == 1


def test_a_failed_registry_write_fires_nothing(server: Server, receiver: Receiver) -> None:
    server.create(
        receiver.url, [("MODEL_VERSION_ALIAS", "CREATED"), ("REGISTERED_MODEL", "CREATED")]
    )
    server.ok("POST", "/registered-models/create", {"name": "m"})
    receiver.wait_for(1)
    body = {"name": "m", "alias": "a", "version": "7"}
    server.fails("POST", "/registered-models/alias", body, 404, "RESOURCE_DOES_NOT_EXIST")
    time.sleep(0.2)
    assert len(receiver.deliveries) == 1


def test_a_5xx_is_retried_with_the_same_delivery(
    server: Server, make_receiver: Callable[..., Receiver]
) -> None:
    receiver = make_receiver(answers=[500, 503, 200])
    server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")], secret=SECRET)
    server.ok("POST", "/registered-models/create", {"name": "m"})
    attempts = receiver.wait_for(3)
    assert len({a.headers["x-mlflow-delivery-id"] for a in attempts}) == 1
    assert all(a.signature_is_valid(SECRET) for a in attempts)
    time.sleep(0.2)
    assert len(receiver.deliveries) == 3  # the 200 ended it


def test_retries_stop_after_the_configured_number(
    server: Server, make_receiver: Callable[..., Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_WEBHOOK_REQUEST_MAX_RETRIES", "2")
    receiver = make_receiver(answers=[502])
    hook = server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")])
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})
    assert result["result"]["success"] is False
    assert result["result"]["response_status"] == 502
    assert len(receiver.deliveries) == 3  # the first attempt and two retries


def test_a_4xx_is_not_retried(server: Server, make_receiver: Callable[..., Receiver]) -> None:
    receiver = make_receiver(answers=[404])
    hook = server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")])
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})["result"]
    assert result == {"success": False, "response_status": 404, "response_body": "answer 404"}
    assert len(receiver.deliveries) == 1


def test_the_request_does_not_wait_for_a_slow_receiver(
    server: Server, make_receiver: Callable[..., Receiver]
) -> None:
    receiver = make_receiver(delay_s=2.0)
    server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")])
    started = time.monotonic()
    server.ok("POST", "/registered-models/create", {"name": "m"})
    assert time.monotonic() - started < 1.0
    receiver.wait_for(1)


def test_an_attempt_times_out(
    server: Server, make_receiver: Callable[..., Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_WEBHOOK_REQUEST_TIMEOUT", "0.3")
    monkeypatch.setenv("RUNWELL_WEBHOOK_REQUEST_MAX_RETRIES", "1")
    receiver = make_receiver(delay_s=1.5)
    hook = server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")])
    started = time.monotonic()
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})["result"]
    assert time.monotonic() - started < 1.5
    assert result["success"] is False
    assert "timed out" in result["error_message"]
    assert len(receiver.wait_for(2)) == 2  # timed out, retried once


def test_test_sends_an_example_of_the_first_or_named_event(
    server: Server, receiver: Receiver
) -> None:
    hook = server.create(
        receiver.url,
        [("MODEL_VERSION_ALIAS", "DELETED"), ("MODEL_VERSION", "CREATED")],
        secret=SECRET,
    )
    path = f"/webhooks/{hook['webhook_id']}/test"
    first = server.ok("POST", path, {})["result"]
    assert first == {"success": True, "response_status": 200, "response_body": "answer 200"}
    named = server.ok("POST", path, {"event": {"entity": "MODEL_VERSION_TAG", "action": "SET"}})
    assert named["result"]["success"] is True
    one, two = receiver.wait_for(2)
    assert one.signature_is_valid(SECRET) and two.signature_is_valid(SECRET)
    assert (one.json["entity"], one.json["action"]) == ("model_version", "created")
    assert one.json["data"]["name"] == "example_model"
    assert (two.json["entity"], two.json["action"]) == ("model_version_tag", "set")
    assert two.json["data"] == {
        "name": "example_model",
        "version": "1",
        "key": "example_key",
        "value": "example_value",
    }
    bad = {"event": {"entity": "MODEL_VERSION_TAG", "action": "CREATED"}}
    server.fails("POST", path, bad, 400, "INVALID_PARAMETER_VALUE")


def test_an_unreachable_receiver_is_reported_by_test(
    server: Server, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_WEBHOOK_REQUEST_MAX_RETRIES", "0")
    hook = server.create("http://127.0.0.1:9/closed", [("REGISTERED_MODEL", "CREATED")])
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})["result"]
    assert result["success"] is False
    assert result["error_message"].startswith("Failed to test webhook:")
    assert "response_status" not in result


def test_the_address_is_checked_again_when_a_delivery_is_sent(
    server: Server, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")])
    monkeypatch.delenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS")  # the admin withdrew the permission
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})["result"]
    assert result["success"] is False
    assert "127.0.0.1" in result["error_message"]
    assert "private, loopback, link-local or reserved" in result["error_message"]
    server.ok("POST", "/registered-models/create", {"name": "m"})
    time.sleep(0.3)
    assert receiver.deliveries == []
