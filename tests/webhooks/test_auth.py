"""With ``--auth`` only admins manage webhooks: a webhook makes the server call out from its
own network position, so every webhook route needs an admin, as on MLflow's server."""

from __future__ import annotations

import pytest

from tests.server.auth.conftest import Secured
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.usefixtures("allow_loopback")

API = "/api/2.0/mlflow/webhooks"
EVENTS = [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]


def test_only_admins_may_call_webhook_routes(secured: Secured, receiver: Receiver) -> None:
    created = secured.admin.post(API, json={"name": "h", "url": receiver.url, "events": EVENTS})
    assert created.status_code == 200, created.text
    hook = f"{API}/{created.json()['webhook']['webhook_id']}"
    alice = secured.user("alice")
    for response in (
        alice.post(API, json={"name": "mine", "url": receiver.url, "events": EVENTS}),
        alice.get(API),
        alice.get(hook),
        alice.patch(hook, json={"url": "http://127.0.0.1:1/"}),
        alice.request("DELETE", hook),
        alice.post(f"{hook}/test", json={}),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert secured.client().get(API).status_code == 401
    listed = secured.admin.get(API).json()["webhooks"]
    assert [w["name"] for w in listed] == ["h"]
    assert receiver.deliveries == []
