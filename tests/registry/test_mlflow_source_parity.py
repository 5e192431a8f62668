"""Registrations MLflow's server accepts and runwell now accepts too, over HTTP, with the
containment rules kept (store/registry_sources.py): an admin-allowed external source with a
run this server never saw, a logged model whose source run is unknown, a PENDING logged model
(registered by the real MLflow 3 client, its run filled from the model's source run), and a
local source that normalises back inside the run's root."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"
API = "/api/2.0/mlflow"


class Server:
    def __init__(self, url: str, store: SqlTrackingStore) -> None:
        self.url, self.store = url, store
        self.http = httpx.Client(base_url=url, timeout=30)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(API + path, json=body)

    def version(self, body: dict[str, Any]) -> httpx.Response:
        return self.post("/model-versions/create", {"name": "m", **body})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    # A local artifact root: sources may be paths inside a run's directory.
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/server.db", (tmp_path / "runs").as_uri())
    with serve(create_app(store, str(tmp_path / "artifacts"))) as url:
        live = Server(url, store)
        assert live.post("/registered-models/create", {"name": "m"}).status_code == 200
        yield live
        live.http.close()


def _run(server: Server) -> tuple[str, str]:
    exp_id = server.store.create_experiment("parity").experiment_id
    return exp_id, server.store.create_run(exp_id, "u", 1).info.run_id


def test_an_allowed_external_source_registers_with_an_unknown_run(server: Server) -> None:
    got = server.version({"source": "s3://bucket/path/model", "run_id": "0" * 32})
    assert got.status_code == 200, got.text
    version = got.json()["model_version"]
    assert (version["status"], version["run_id"]) == ("READY", "0" * 32)


def test_an_external_source_not_allowed_stays_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside the run's artifacts and not allowed by an admin: still 400, known run or not.
    monkeypatch.delenv("RUNWELL_ALLOWED_MODEL_SOURCES")
    _exp, run_id = _run(server)
    for run in (run_id, "0" * 32):
        got = server.version({"source": "s3://other-bucket/model", "run_id": run})
        assert got.status_code == 400, got.text
        assert got.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_logged_model_may_name_a_source_run_this_server_never_saw(server: Server) -> None:
    exp_id, _run_id = _run(server)
    got = server.post("/logged-models", {"experiment_id": exp_id, "source_run_id": "123"})
    assert got.status_code == 200, got.text
    assert got.json()["model"]["info"]["source_run_id"] == "123"


def test_a_local_source_normalising_inside_the_run_root_registers(server: Server) -> None:
    _exp, run_id = _run(server)
    root = server.store.get_run(run_id).info.artifact_uri
    got = server.version({"source": f"{root}/model/..", "run_id": run_id})
    assert got.status_code == 200, got.text
    # Leaving the root stays refused, however it is spelt.
    for escape in (f"{root}/model/../..", f"{root}/model/%2e%2e/%2e%2e", f"{root}/../x"):
        refused = server.version({"source": escape, "run_id": run_id})
        assert refused.status_code == 400, escape
    # '..' stays refused in a remote source, as MLflow refuses it.
    remote = server.version({"source": "s3://bucket/a/../b", "run_id": run_id})
    assert remote.status_code == 400


def test_a_local_source_through_a_symlink_out_of_the_root_is_refused(
    server: Server, tmp_path: Path
) -> None:
    _exp, run_id = _run(server)
    root = Path(server.store.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    outside = tmp_path / "outside" / "deep"
    outside.mkdir(parents=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / "link").symlink_to(outside)
    # Lexically '<root>/link/..' is the root; the OS resolves it to tmp_path/outside.
    got = server.version({"source": f"{root}/link/..", "run_id": run_id})
    assert got.status_code == 400, got.text


_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import mlflow
    client = mlflow.MlflowClient()
    experiment_id = client.create_experiment("client-parity")
    run = client.create_run(experiment_id)
    model = client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
    version = mlflow.register_model(f"models:/{model.model_id}", "from-client")
    json.dump(
        {
            "run_id": run.info.run_id,
            "model_id": model.model_id,
            "status": str(client.get_logged_model(model.model_id).status),
            "version": version.version,
            "version_run_id": version.run_id,
        },
        sys.stdout,
    )
    """
)


@pytest.mark.skipif(not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3)")
def test_the_mlflow_client_registers_a_pending_logged_model_with_its_run(server: Server) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_TRACKING_URI=server.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", _SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "PENDING"
    # The client sent no run_id: the server filled it from the model's source run.
    assert out["version_run_id"] == out["run_id"]
    got = server.http.get(
        API + "/model-versions/get", params={"name": "from-client", "version": out["version"]}
    )
    stored = got.json()["model_version"]
    assert (stored["run_id"], stored["model_id"]) == (out["run_id"], out["model_id"])
