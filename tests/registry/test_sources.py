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
    # Another server's artifact proxy, in both forms (issue 19: credentials sent to any host).
    "mlflow-artifacts://attacker.example:8000/{run_path}/model",
    "mlflow-artifacts://127.0.0.1:9/{run_path}/model",
    "http://attacker.example/api/2.0/mlflow-artifacts/artifacts/{run_path}/model",
    "https://127.0.0.1:9/api/2.0/mlflow-artifacts/artifacts/{run_path}/model",
    # Stores outside the run's artifacts that no admin allowed.
    "s3://attacker-bucket/model",
    "s3://bucketx/model",
    "gs://bucket/model",
    "https://example.com/model.tar.gz",
    "jar:file:///etc/passwd!/x",
    "gopher://internal/x",
    "netdoc:///etc/passwd",
    "prompts:/p/1",
    "x" * 2049,
    "",
]

ACCEPTED = [
    # Under the locations the registry conftest's admin allowed (s3://bucket/, s3://b/).
    "s3://bucket/path/model",
    "S3://BUCKET/path/model",
    "s3://b/ok",
    "{artifacts}/model",
    "file://{artifacts}/model",
    "runs:/{run_id}/model",
]


def _fill(template: str, stores: Stores, run_id: str) -> str:
    run = stores.tracking.get_run(run_id)
    artifacts = run.info.artifact_uri.removeprefix("file://")
    experiment = run.info.experiment_id
    return (
        template.replace("{artifacts}", artifacts)
        .replace("{run_id}", run_id)
        .replace("{run_path}", f"{experiment}/{run_id}/artifacts")
    )


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
    # The run's files are on this server's proxy: a source naming some host is another's.
    http_form = (
        "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/"
        + run.artifact_uri.removeprefix("mlflow-artifacts:/")
        + "/model"
    )
    hosted = run.artifact_uri.replace("mlflow-artifacts:/", "mlflow-artifacts://evil:80/") + "/m"
    for named_host in (http_form, hosted):
        with pytest.raises(InvalidArgument, match="names the server"):
            registry.create_model_version("m", named_host, run_id=run.run_id)
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


ADMIN_ALLOWED = [
    "gs://team-models/model",
    "abfss://c@acct.dfs.core.windows.net/model",
    "https://artifacts.example.com/models/model.tar.gz",
]


@pytest.mark.parametrize("source", ADMIN_ALLOWED)
def test_other_stores_need_an_admins_allowance(
    sqlite_stores: Stores, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = sqlite_stores
    run_id = stores.run()
    stores.registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="RUNWELL_ALLOWED_MODEL_SOURCES"):
        stores.registry.create_model_version("m", source, run_id=run_id)
    monkeypatch.setenv(
        "RUNWELL_ALLOWED_MODEL_SOURCES",
        "gs://team-models/, abfss://c@acct.dfs.core.windows.net/, https://artifacts.example.com/",
    )
    assert stores.registry.create_model_version("m", source, run_id=run_id).source == source
    # A prefix is a directory: a sibling whose name merely starts the same stays refused.
    with pytest.raises(InvalidArgument):
        stores.registry.create_model_version("m", "gs://team-models-evil/model", run_id=run_id)


def test_a_remote_source_inside_the_runs_own_remote_artifacts_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runwell.store.sql.registry import SqlRegistryStore
    from runwell.store.sql.tracking import SqlTrackingStore

    monkeypatch.delenv("RUNWELL_ALLOWED_MODEL_SOURCES")
    db_url = f"sqlite:///{tmp_path}/registry.db"
    tracking = SqlTrackingStore(db_url, "s3://team-artifacts/root")
    registry = SqlRegistryStore(db_url)
    run = tracking.create_run(tracking.create_experiment("s3").experiment_id, "u", 1).info
    registry.create_registered_model("m")
    inside = f"{run.artifact_uri}/model"
    assert inside.startswith("s3://team-artifacts/root/")
    assert registry.create_model_version("m", inside, run_id=run.run_id).source == inside
    for outside in (
        f"s3://other-bucket/root/{run.run_id}/artifacts/model",
        f"{run.artifact_uri}-sibling/model",
        "s3://team-artifacts/root/model",
    ):
        with pytest.raises(InvalidArgument, match="outside the artifact location"):
            registry.create_model_version("m", outside, run_id=run.run_id)


def test_an_http_artifact_root_accepts_its_own_server_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--default-artifact-root http://HOST:PORT/api/2.0/mlflow-artifacts/artifacts (MLflow's
    documented set-up): that origin is this server's store; any other host is refused."""
    from runwell.store.sql.registry import SqlRegistryStore
    from runwell.store.sql.tracking import SqlTrackingStore

    monkeypatch.delenv("RUNWELL_ALLOWED_MODEL_SOURCES")
    root = "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts"
    db_url = f"sqlite:///{tmp_path}/registry.db"
    tracking = SqlTrackingStore(db_url, root)
    registry = SqlRegistryStore(db_url)
    run = tracking.create_run(tracking.create_experiment("h").experiment_id, "u", 1).info
    registry.create_registered_model("m")
    own = f"{run.artifact_uri}/model"
    assert registry.create_model_version("m", own, run_id=run.run_id).source == own
    path = run.artifact_uri.removeprefix(root + "/")
    for other in (
        f"http://127.0.0.1:5001/api/2.0/mlflow-artifacts/artifacts/{path}/model",
        f"http://evil.example:5000/api/2.0/mlflow-artifacts/artifacts/{path}/model",
        f"mlflow-artifacts://evil.example:5000/{path}/model",
    ):
        with pytest.raises(InvalidArgument, match="names the server"):
            registry.create_model_version("m", other, run_id=run.run_id)
