"""Webhook CRUD over HTTP on a live server: MLflow's shapes, codes, and the secret kept in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.webhooks.conftest import Receiver, Server

pytestmark = pytest.mark.usefixtures("allow_loopback")

ALL_MODEL_EVENTS = [
    ("REGISTERED_MODEL", "CREATED"),
    ("MODEL_VERSION", "CREATED"),
    ("MODEL_VERSION_TAG", "SET"),
    ("MODEL_VERSION_TAG", "DELETED"),
    ("MODEL_VERSION_ALIAS", "CREATED"),
    ("MODEL_VERSION_ALIAS", "DELETED"),
]


def test_create_get_list_update_delete_round_trip(server: Server, receiver: Receiver) -> None:
    created = server.create(
        receiver.url,
        [("MODEL_VERSION", "CREATED")],
        name="ci.hook-1",
        description="tell CI",
        secret="s3cret-value",
    )
    assert set(created) == {
        "webhook_id",
        "name",
        "description",
        "url",
        "events",
        "status",
        "creation_timestamp",
        "last_updated_timestamp",
    }
    assert created["name"] == "ci.hook-1"
    assert created["url"] == receiver.url
    assert created["events"] == [{"entity": "MODEL_VERSION", "action": "CREATED"}]
    assert created["status"] == "ACTIVE"
    assert isinstance(created["creation_timestamp"], int)
    hook_id = created["webhook_id"]

    assert server.ok("GET", f"/webhooks/{hook_id}")["webhook"] == created
    assert server.ok("GET", "/webhooks")["webhooks"] == [created]

    updated = server.ok(
        "PATCH",
        f"/webhooks/{hook_id}",
        {
            "name": "renamed",
            "status": "DISABLED",
            "events": [
                {"entity": "MODEL_VERSION_TAG", "action": "SET"},
                {"entity": "REGISTERED_MODEL", "action": "CREATED"},
            ],
        },
    )["webhook"]
    assert updated["name"] == "renamed"
    assert updated["status"] == "DISABLED"
    assert updated["description"] == "tell CI"  # not sent: unchanged
    assert updated["url"] == receiver.url
    assert sorted((e["entity"], e["action"]) for e in updated["events"]) == [
        ("MODEL_VERSION_TAG", "SET"),
        ("REGISTERED_MODEL", "CREATED"),
    ]
    assert updated["last_updated_timestamp"] >= created["last_updated_timestamp"]
    cleared = server.ok("PATCH", f"/webhooks/{hook_id}", {"description": ""})["webhook"]
    assert "description" not in cleared

    assert server.ok("DELETE", f"/webhooks/{hook_id}") == {}
    server.fails("GET", f"/webhooks/{hook_id}", None, 404, "RESOURCE_DOES_NOT_EXIST")
    assert server.ok("GET", "/webhooks") == {}


def test_the_secret_is_never_in_an_answer(server: Server, receiver: Receiver) -> None:
    created = server.create(receiver.url, ALL_MODEL_EVENTS, secret="never-shown-123")
    hook = f"/webhooks/{created['webhook_id']}"
    answers = [
        server.call("GET", hook),
        server.call("GET", "/webhooks"),
        server.call("PATCH", hook, {"secret": "also-never-shown"}),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert "never-shown" not in answer.text
        assert "secret" not in answer.text


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"name": None}, "'name'"),
        ({"name": "-starts-with-dash"}, "is invalid"),
        ({"name": "x" * 64}, "is invalid"),
        ({"name": "has space"}, "is invalid"),
        ({"url": None}, "'url'"),
        ({"url": "ftp://127.0.0.1/x"}, "scheme"),
        ({"url": "file:///etc/passwd"}, "scheme"),
        ({"url": "http:///nohost"}, "hostname"),
        ({"url": "http://127.0.0.1:99999/"}, "Invalid webhook URL"),
        ({"events": None}, "'events'"),
        ({"events": []}, "'events'"),
        ({"events": "REGISTERED_MODEL"}, "events"),
        ({"events": [{"entity": "REGISTERED_MODEL", "action": "SET"}]}, "Invalid action"),
        ({"events": [{"entity": "NOT_AN_ENTITY", "action": "CREATED"}]}, "events.entity"),
        ({"events": [{"entity": "MODEL_VERSION"}]}, "events.action"),
        ({"status": "PAUSED"}, "status"),
        ({"description": "d" * 5001}, "description"),
    ],
)
def test_create_refuses_bad_input(
    server: Server, receiver: Receiver, change: dict[str, Any], fragment: str
) -> None:
    body: dict[str, Any] = {
        "name": "good-name",
        "url": receiver.url,
        "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}],
    }
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    message = server.fails("POST", "/webhooks", body, 400, "INVALID_PARAMETER_VALUE")
    assert fragment in message
    assert server.ok("GET", "/webhooks") == {}


def test_update_refuses_bad_input_and_changes_nothing(server: Server, receiver: Receiver) -> None:
    created = server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")])
    hook = f"/webhooks/{created['webhook_id']}"
    for body in (
        {"name": "bad name"},
        {"url": "gopher://127.0.0.1/"},
        {"events": [{"entity": "MODEL_VERSION_ALIAS", "action": "SET"}]},
        {"status": 7},
    ):
        server.fails("PATCH", hook, body, 400, "INVALID_PARAMETER_VALUE")
    assert server.ok("GET", hook)["webhook"] == created


def test_an_unknown_webhook_is_404_everywhere(server: Server) -> None:
    missing = "/webhooks/00000000-0000-0000-0000-000000000000"
    for method, path, body in (
        ("GET", missing, None),
        ("PATCH", missing, {"name": "x"}),
        ("DELETE", missing, None),
        ("POST", missing + "/test", {}),
    ):
        message = server.fails(method, path, body, 404, "RESOURCE_DOES_NOT_EXIST")
        assert "00000000-0000-0000-0000-000000000000" in message


def test_list_pages_newest_first(server: Server, receiver: Receiver) -> None:
    ids = [
        server.create(receiver.url, [("REGISTERED_MODEL", "CREATED")], name=f"h{i}")["webhook_id"]
        for i in range(3)
    ]
    first = server.ok("GET", "/webhooks", params={"max_results": 2})
    assert len(first["webhooks"]) == 2
    second = server.ok(
        "GET", "/webhooks", params={"max_results": 2, "page_token": first["next_page_token"]}
    )
    assert "next_page_token" not in second
    seen = [w["webhook_id"] for w in first["webhooks"] + second["webhooks"]]
    assert sorted(seen) == sorted(ids)
    times = [w["creation_timestamp"] for w in first["webhooks"] + second["webhooks"]]
    assert times == sorted(times, reverse=True)
    # 0 means the default, as on MLflow's server.
    assert len(server.ok("GET", "/webhooks", params={"max_results": 0})["webhooks"]) == 3
    for bad in (-1, 1001):
        response = server.call("GET", "/webhooks", params={"max_results": bad})
        assert response.status_code == 400
        assert "max_results must be between 1 and 1000" in response.json()["message"]
    response = server.call("GET", "/webhooks", params={"page_token": "not-a-token"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0/",
        "https://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[2002:a00:1::]/",
        "http://[64:ff9b::a00:1]/",
        "http://[fe80::1]/",
    ],
)
def test_private_loopback_and_link_local_urls_are_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.delenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS")
    body = {"name": "h", "url": url, "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}
    message = server.fails("POST", "/webhooks", body, 400, "INVALID_PARAMETER_VALUE")
    assert "private, loopback, link-local or reserved" in message
    assert "RUNWELL_WEBHOOK_ALLOWED_HOSTS" in message


def test_allowed_hosts_let_an_admin_reach_an_internal_host(
    server: Server, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [{"entity": "MODEL_VERSION", "action": "CREATED"}]
    monkeypatch.setenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/8, build.internal")
    body = {"name": "h", "url": receiver.url, "events": events}
    message = server.fails("POST", "/webhooks", body, 400, "INVALID_PARAMETER_VALUE")
    assert "127.0.0.1" in message
    monkeypatch.setenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/8,127.0.0.0/8")
    created = server.ok("POST", "/webhooks", body)["webhook"]
    # An update to a refused address is refused too.
    monkeypatch.setenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/8")
    hook = f"/webhooks/{created['webhook_id']}"
    message = server.fails(
        "PATCH", hook, {"url": "http://192.168.1.1/"}, 400, "INVALID_PARAMETER_VALUE"
    )
    assert "192.168.1.1" in message
    assert server.ok("PATCH", hook, {"url": "http://10.9.9.9/x"})["webhook"]["url"] == (
        "http://10.9.9.9/x"
    )


def test_an_unresolvable_host_is_refused(server: Server) -> None:
    body = {
        "name": "h",
        "url": "https://no-such-host.invalid/hook",
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
    }
    message = server.fails("POST", "/webhooks", body, 400, "INVALID_PARAMETER_VALUE")
    assert "Cannot resolve" in message
