"""RunwellClient registry methods, runwell.register_model, and models:/ URI resolution, on the
per-test embedded store."""

from __future__ import annotations

import pytest

import runwell
from runwell.errors import InvalidArgument, NotFound
from runwell.tracking.registry_client import resolve_model_uri


def test_register_and_resolve_every_model_uri_form() -> None:
    client = runwell.RunwellClient()
    with runwell.start_run() as run:
        runwell.log_text("x", "model/MLmodel")
    exp_id = run.info.experiment_id
    logged = client.store.create_logged_model(exp_id, name="clf", source_run_id=run.info.run_id)
    client.store.finalize_logged_model(logged.model_id, "READY")
    v1 = runwell.register_model(f"runs:/{run.info.run_id}/model", "churn", tags={"t": 1})
    v2 = runwell.register_model(f"runs:/{run.info.run_id}/clf", "churn")
    assert (v1.version, v1.source, v1.tag_dict) == (
        "1",
        f"runs:/{run.info.run_id}/model",
        {"t": "1"},
    )
    assert (v2.source, v2.model_id, v2.run_id) == (
        f"models:/{logged.model_id}",
        logged.model_id,
        run.info.run_id,
    )
    client.set_registered_model_alias("churn", "champion", 1)
    client.transition_model_version_stage("churn", 2, "Production")
    run_model = f"{run.info.artifact_uri}/model"
    assert resolve_model_uri("models:/churn/1") == run_model
    assert resolve_model_uri("models:/churn@champion") == run_model
    assert resolve_model_uri("models:/churn/production") == logged.artifact_location
    assert resolve_model_uri("models:/churn/latest") == logged.artifact_location
    assert resolve_model_uri(f"models:/{logged.model_id}") == logged.artifact_location
    assert resolve_model_uri(f"runs:/{run.info.run_id}/model") == run_model
    assert client.get_model_version_download_uri("churn", 1) == run_model
    copied = client.copy_model_version("models:/churn@champion", "copy")
    assert (copied.name, copied.source) == ("copy", "models:/churn/1")
    names = [m.name for m in client.search_registered_models()]
    assert names == ["churn", "copy"]
    assert len(client.search_model_versions("name = 'churn'")) == 2
    with pytest.raises(NotFound):
        resolve_model_uri("models:/churn/Staging")
    with pytest.raises(InvalidArgument, match="proper models:/ URI"):
        resolve_model_uri("models:/a/b/c")
    with pytest.raises(InvalidArgument, match="alias"):
        resolve_model_uri("models:/churn@nope")
