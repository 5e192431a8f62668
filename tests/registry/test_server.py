"""The registry over HTTP: RestRegistryStore against a live server, error envelopes, both
prefixes, and the real MLflow 3 client (a subprocess of .venv-mlflow) against runwell."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runwell.entities.registry import ModelVersionTag, RegisteredModelTag
from runwell.errors import AlreadyExists, InvalidArgument, NotFound
from runwell.server.app import create_app
from runwell.store.rest.registry import RestRegistryStore
from runwell.store.rest.transport import Transport
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, SqlTrackingStore]]:
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/server.db", "mlflow-artifacts:")
    app = create_app(store, str(tmp_path / "artifacts"))
    with serve(app) as url:
        yield url, store


@pytest.fixture
def rest(live: tuple[str, SqlTrackingStore]) -> Iterator[RestRegistryStore]:
    transport = Transport(live[0], max_retries=0)
    try:
        yield RestRegistryStore(live[0], transport)
    finally:
        transport.close()


def test_rest_registry_round_trip(rest: RestRegistryStore) -> None:
    created = rest.create_registered_model(
        "m", tags=[RegisteredModelTag(key="t", value="1")], description="d"
    )
    assert (created.name, created.tag_dict, created.description) == ("m", {"t": "1"}, "d")
    v1 = rest.create_model_version("m", "s3://b/1", tags=[ModelVersionTag(key="k", value="v")])
    rest.create_model_version("m", "s3://b/2")
    assert (v1.version, v1.tag_dict, v1.status.name) == ("1", {"k": "v"}, "READY")
    rest.set_registered_model_alias("m", "champion", 2)
    assert rest.get_model_version_by_alias("m", "champion").version == "2"
    assert rest.get_registered_model("m").alias_dict == {"champion": "2"}
    rest.transition_model_version_stage("m", 1, "production", archive_existing_versions=True)
    assert [v.version for v in rest.get_latest_versions("m", ["Production"])] == ["1"]
    assert rest.get_model_version_download_uri("m", 2) == "s3://b/2"
    assert [
        v.version for v in rest.search_model_versions("name = 'm'", order_by=["version_number"])
    ] == ["1", "2"]
    rest.set_model_version_tag("m", 2, ModelVersionTag(key="x", value="y"))
    rest.delete_model_version_tag("m", 2, "x")
    rest.set_registered_model_tag("m", RegisteredModelTag(key="a", value="b"))
    rest.delete_registered_model_tag("m", "a")
    assert rest.update_model_version("m", 2, "two").description == "two"
    assert rest.update_registered_model("m", "new").description == "new"
    copied = rest.copy_model_version("m", 2, "copy")
    assert (copied.name, copied.source) == ("copy", "models:/m/2")
    assert rest.get_model_version_download_uri("copy", 1) == "s3://b/2"
    page = rest.search_registered_models(max_results=1)
    assert [m.name for m in page] == ["copy"] and page.token
    assert [m.name for m in rest.search_registered_models(page_token=page.token)] == ["m"]
    rest.delete_registered_model_alias("m", "champion")
    rest.delete_model_version("m", 1)
    assert rest.rename_registered_model("m", "renamed").name == "renamed"
    rest.delete_registered_model("renamed")
    with pytest.raises(AlreadyExists):
        rest.create_registered_model("copy")
    with pytest.raises(NotFound):
        rest.get_registered_model("renamed")
    with pytest.raises(InvalidArgument, match="must be an integer"):
        rest.get_model_version("copy", "abc")
    with pytest.raises(InvalidArgument, match="Invalid model version source"):
        rest.create_model_version("copy", "file:///etc/passwd")
    with pytest.raises(InvalidArgument, match="stage"):
        rest.transition_model_version_stage("copy", 1, "Nope")


def test_error_envelopes_and_ajax_prefix(live: tuple[str, SqlTrackingStore]) -> None:
    url = live[0]
    with httpx.Client(base_url=url) as http:
        ok = http.post("/ajax-api/2.0/mlflow/registered-models/create", json={"name": "m"})
        assert ok.status_code == 200, ok.text
        again = http.post("/api/2.0/mlflow/registered-models/create", json={"name": "m"})
        assert again.status_code == 400
        assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
        missing = http.get("/api/2.0/mlflow/registered-models/get", params={"name": "x"})
        assert (missing.status_code, missing.json()["error_code"]) == (
            404,
            "RESOURCE_DOES_NOT_EXIST",
        )
        bad = http.post(
            "/api/2.0/mlflow/model-versions/create",
            json={"name": "m", "source": "/etc/%2e%2e/etc/passwd"},
        )
        assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        no_alias = http.get(
            "/api/2.0/mlflow/registered-models/alias", params={"name": "m", "alias": "a"}
        )
        assert no_alias.status_code == 400
        stage = http.post(
            "/api/2.0/mlflow/model-versions/transition-stage",
            json={"name": "m", "version": "1", "stage": "Production"},
        )
        assert stage.status_code == 400 and "archive_existing_versions" in stage.text
        versions = http.get("/api/2.0/mlflow/model-versions/search")
        assert versions.status_code == 200 and versions.json() == {}


_SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    mlflow.set_experiment("registry")
    with mlflow.start_run() as run:
        mlflow.log_text("hello", "model/notes.txt")
        mlflow.log_text("artifact_path: model\\nflavors: {}\\n", "model/MLmodel")
    client.create_registered_model("RegModel", tags={"team": "a"}, description="d")
    try:
        client.create_registered_model("RegModel")
        duplicate = "no error"
    except MlflowException as exc:
        duplicate = exc.error_code
    run_source = f"{run.info.artifact_uri}/model"
    v1 = client.create_model_version("RegModel", run_source, run_id=run.info.run_id)
    v2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "RegModel")
    client.set_registered_model_alias("RegModel", "champion", v1.version)
    by_alias = client.get_model_version_by_alias("RegModel", "champion")
    client.transition_model_version_stage("RegModel", v2.version, "Production")
    latest = client.get_latest_versions("RegModel", stages=["Production"])
    client.create_registered_model("Other")
    client.set_registered_model_tag("Other", "mlflow.prompt.is_prompt", "false")
    models = client.search_registered_models()
    filtered = client.search_registered_models(filter_string="name LIKE 'Reg%'")
    versions = client.search_model_versions("name='RegModel'")
    try:
        client.create_model_version("RegModel", "file:///etc/passwd")
        unsafe = "no error"
    except MlflowException as exc:
        unsafe = exc.error_code
    download = client.get_model_version_download_uri("RegModel", v1.version)
    json.dump(
        {
            "versions": [v1.version, v2.version],
            "v2_source": v2.source,
            "duplicate": duplicate,
            "by_alias": by_alias.version,
            "aliases": client.get_registered_model("RegModel").aliases,
            "latest": [v.version for v in latest],
            "models": sorted(m.name for m in models),
            "filtered": [m.name for m in filtered],
            "searched": sorted(v.version for v in versions),
            "unsafe": unsafe,
            "download": download,
            "status": v1.status,
        },
        sys.stdout,
    )
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3.x)")
def test_the_mlflow_client_registry_flow(
    live: tuple[str, SqlTrackingStore], tmp_path: Path
) -> None:
    url, _store = live
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", _SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["versions"] == ["1", "2"]
    assert out["duplicate"] == "RESOURCE_ALREADY_EXISTS"
    assert out["by_alias"] == "1" and out["aliases"] == {"champion": "1"}
    assert out["latest"] == ["2"]
    assert out["models"] == ["Other", "RegModel"]
    assert out["filtered"] == ["RegModel"]
    assert out["searched"] == ["1", "2"]
    assert out["unsafe"] == "INVALID_PARAMETER_VALUE"
    assert out["download"].endswith("/model") and out["status"] == "READY"
