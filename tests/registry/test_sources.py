"""Model-version sources: the CVE-2023-1177 family and its bypasses are refused, every class
of legitimate source is accepted, and nothing is written for a refused one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runwell.errors import InvalidArgument, NotFound
from tests.registry.conftest import Stores

# Each refused whatever run_id comes with it (the run's artifacts are local, under tmp_path).
REFUSED = [
    "/etc/passwd",
    "file:///etc/passwd",
    "file:/etc/passwd",
    "file://localhost/etc/passwd",
    "file://evil.example/share/x",
    "FILE:///etc/passwd",
    "file%3A%2F%2F%2Fetc%2Fpasswd",
    "file%253A%252F%252F%252Fetc%252Fpasswd",
    "relative/path",
    "./model",
    "C:\\Windows\\system.ini",
    "C:/Windows/system.ini",
    "\\\\server\\share\\model",
    "{artifacts}/../../../etc/passwd",
    "{artifacts}/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "{artifacts}/%252e%252e/%252e%252e/etc/passwd",
    "{artifacts}/..%2f..%2f..%2fetc/passwd",
    "{artifacts}/..\\..\\etc\\passwd",
    "{artifacts}/model?x=/etc/passwd",
    "{artifacts}/model#/../../etc/passwd",
    "{artifacts}/model%3F/etc/passwd",
    "{artifacts}/model%23frag",
    "{artifacts}/model\x00.txt",
    "{artifacts}-sibling/model",
    "runs:/{run_id}/../../../../etc/passwd",
    "runs:/{run_id}/%2e%2e/%2e%2e/secret",
    "runs://{run_id}/model",
    "runs:/0123456789abcdef0123456789abcdef/model",
    "models:/../../etc/passwd",
    "models:/m/1/../../../etc",
    "models:/name@alias",
    "models:/name/Production",
    "models://profile@databricks/m/1",
    "mlflow-artifacts:/0/other-run/artifacts/model",
    "mlflow-artifacts:/../../etc/passwd",
    "mlflow-artifacts:/%2e%2e/%2e%2e/etc/passwd",
    "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/other/artifacts/m",
    "s3://bucket/a/../../b",
    "s3:///no-bucket",
    "jar:file:///etc/passwd!/x",
    "gopher://internal/x",
    "netdoc:///etc/passwd",
    "prompts:/p/1",
    "x" * 2049,
    "",
]

ACCEPTED = [
    "s3://bucket/path/model",
    "gs://bucket/model",
    "abfss://c@acct.dfs.core.windows.net/model",
    "dbfs:/databricks/model",
    "https://example.com/model.tar.gz",
    "{artifacts}/model",
    "file://{artifacts}/model",
    "runs:/{run_id}/model",
]


def _fill(template: str, stores: Stores, run_id: str) -> str:
    run = stores.tracking.get_run(run_id)
    artifacts = run.info.artifact_uri.removeprefix("file://")
    return template.replace("{artifacts}", artifacts).replace("{run_id}", run_id)


@pytest.mark.parametrize("template", REFUSED)
def test_refused_sources_write_nothing(sqlite_stores: Stores, template: str) -> None:
    stores = sqlite_stores
    run_id = stores.run()
    stores.registry.create_registered_model("m")
    source = _fill(template, stores, run_id)
    with pytest.raises((InvalidArgument, NotFound)) as raised:
        stores.registry.create_model_version("m", source, run_id=run_id)
    assert raised.value.code.name in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    with pytest.raises((InvalidArgument, NotFound)):
        stores.registry.create_model_version("m", source)
    assert stores.registry.search_model_versions().items == []
    assert stores.registry.create_model_version("m", "s3://b/ok").version == "1"


@pytest.mark.parametrize("template", ACCEPTED)
def test_accepted_sources(sqlite_stores: Stores, template: str) -> None:
    stores = sqlite_stores
    run_id = stores.run()
    stores.registry.create_registered_model("m")
    source = _fill(template, stores, run_id)
    version = stores.registry.create_model_version("m", source, run_id=run_id)
    assert (version.source, version.run_id) == (source, run_id)


def test_local_source_needs_a_run_and_refuses_symlinks_out(
    sqlite_stores: Stores, tmp_path: Path
) -> None:
    stores = sqlite_stores
    run_id = stores.run()
    stores.registry.create_registered_model("m")
    artifacts = _fill("{artifacts}", stores, run_id)
    with pytest.raises(InvalidArgument, match="run_id request parameter"):
        stores.registry.create_model_version("m", artifacts + "/model")
    os.makedirs(artifacts, exist_ok=True)
    os.symlink("/etc", artifacts + "/escape")
    with pytest.raises(InvalidArgument, match="outside the artifact directory"):
        stores.registry.create_model_version("m", artifacts + "/escape/passwd", run_id=run_id)
    other = stores.run()
    with pytest.raises(InvalidArgument, match="names run"):
        stores.registry.create_model_version("m", f"runs:/{other}/model", run_id=run_id)


def test_proxied_sources_must_lie_in_the_runs_proxied_root(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/registry.db"
    from runwell.store.sql.registry import SqlRegistryStore
    from runwell.store.sql.tracking import SqlTrackingStore

    tracking = SqlTrackingStore(db_url, "mlflow-artifacts:")
    registry = SqlRegistryStore(db_url)
    exp_id = tracking.create_experiment("proxied").experiment_id
    run = tracking.create_run(exp_id, "u", 1).info
    logged = tracking.create_logged_model(exp_id, name="model")
    tracking.finalize_logged_model(logged.model_id, "READY")
    registry.create_registered_model("m")
    inside = f"{run.artifact_uri}/model"
    assert registry.create_model_version("m", inside, run_id=run.run_id).source == inside
    http_form = (
        "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/"
        + run.artifact_uri.removeprefix("mlflow-artifacts:/")
        + "/model"
    )
    registry.create_model_version("m", http_form, run_id=run.run_id)
    model_files = f"{logged.artifact_location}/MLmodel"
    registry.create_model_version("m", model_files, model_id=logged.model_id)
    for bad in (
        inside.replace(run.run_id, "f" * 32),
        f"{run.artifact_uri}-x/model",
        f"mlflow-artifacts:/{exp_id}",
    ):
        with pytest.raises(InvalidArgument, match="outside the artifact root"):
            registry.create_model_version("m", bad, run_id=run.run_id)
    with pytest.raises(InvalidArgument, match="needs the run_id"):
        registry.create_model_version("m", inside)
