"""MLflow's own client (3.x, in .venv-mlflow) managing webhooks on a runwell server: it must
get MLflow's answers, and a delivery it triggers must reach the receiver signed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.mlflow_server import MLFLOW_PYTHON, mlflow_client_env
from tests.webhooks.conftest import Receiver, Server

pytestmark = pytest.mark.usefixtures("allow_loopback")


FLOW = """
import json, sys
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

receiver = sys.argv[1]
client = MlflowClient()
hook = client.create_webhook(
    name="mlflow-made",
    url=receiver,
    events=["registered_model.created", "model_version_tag.set"],
    description="from the real client",
    secret="client-secret",
)
listed = client.list_webhooks()
got = client.get_webhook(hook.webhook_id)
updated = client.update_webhook(hook.webhook_id, description="changed", status="DISABLED")
client.update_webhook(hook.webhook_id, status="ACTIVE")
tested = client.test_webhook(hook.webhook_id)
try:
    metadata = "http://169.254.169.254/"
    client.create_webhook(name="bad", url=metadata, events=["model_version.created"])
    refused = None
except MlflowException as exc:
    refused = exc.error_code
client.create_registered_model("from-mlflow")
doomed = client.create_webhook(name="doomed", url=receiver, events=["prompt.created"])
client.delete_webhook(doomed.webhook_id)
try:
    client.get_webhook(doomed.webhook_id)
    missing = None
except MlflowException as exc:
    missing = exc.error_code
print(json.dumps({
    "id": hook.webhook_id,
    "events": sorted(str(e) for e in got.events),
    "status": str(hook.status),
    "listed": [w.webhook_id for w in listed],
    "token": listed.token,
    "description": got.description,
    "updated": [updated.description, str(updated.status)],
    "secret_seen": getattr(got, "secret", None),
    "tested": [tested.success, tested.response_status, tested.response_body],
    "refused": refused,
    "missing": missing,
}))
"""


def test_mlflow_client_manages_webhooks(
    server: Server, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = mlflow_client_env(server.url)
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", FLOW, receiver.url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["events"] == ["model_version_tag.set", "registered_model.created"]
    assert result["status"] == "ACTIVE"
    assert result["listed"] == [result["id"]]
    assert not result["token"]
    assert result["description"] == "from the real client"
    assert result["updated"] == ["changed", "DISABLED"]
    assert result["secret_seen"] is None
    assert result["tested"] == [True, 200, "answer 200"]
    assert result["refused"] == "INVALID_PARAMETER_VALUE"
    assert result["missing"] == "RESOURCE_DOES_NOT_EXIST"
    tested, created = receiver.wait_for(2)
    assert tested.json["data"]["name"] == "example_model"
    assert (created.json["entity"], created.json["action"]) == ("registered_model", "created")
    assert created.json["data"]["name"] == "from-mlflow"
    assert tested.signature_is_valid("client-secret")
    assert created.signature_is_valid("client-secret")
