"""Tracking and artifact URIs of a server: http(s) stores, ``mlflow-artifacts:`` resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

import runwell
from runwell import artifacts
from runwell.errors import InvalidArgument
from runwell.store import uri as uris
from runwell.store.artifacts.http import HttpArtifactRepo
from runwell.store.rest.tracking import RestTrackingStore
from tests.rest.conftest import StartServer


@pytest.mark.parametrize(
    ("uri", "tracking", "expected"),
    [
        (
            "mlflow-artifacts:/1/abc/artifacts",
            "http://h:5000",
            "http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts",
        ),
        (
            "mlflow-artifacts:/1/abc/artifacts",
            "https://h/mlflow/",
            "https://h/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts",
        ),
        (
            "mlflow-artifacts://other:8080/1/x",
            "http://h:5000/p",
            "http://other:8080/p/api/2.0/mlflow-artifacts/artifacts/1/x",
        ),
        ("mlflow-artifacts:/", "http://h", "http://h/api/2.0/mlflow-artifacts/artifacts"),
    ],
)
def test_mlflow_artifacts_uris_resolve_against_the_tracking_server(
    uri: str, tracking: str, expected: str
) -> None:
    assert uris.resolve_proxied_uri(uri, tracking) == expected
    repo = uris.artifact_repo(uri, tracking)
    assert isinstance(repo, HttpArtifactRepo)
    assert repo.root_uri == uri


@pytest.mark.parametrize("tracking", [None, "sqlite:///x.db", "postgresql://h/db"])
def test_mlflow_artifacts_uris_need_an_http_tracking_uri(tracking: str | None) -> None:
    with pytest.raises(InvalidArgument, match="served by a tracking server"):
        uris.artifact_repo("mlflow-artifacts:/1/x", tracking)


def test_http_tracking_uris_get_rest_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    store = uris.tracking_store("https://tracking.example:8443/prefix")
    assert isinstance(store, RestTrackingStore)
    assert store.transport.base_url == "https://tracking.example:8443/prefix"
    assert uris.tracking_store("https://tracking.example:8443/prefix") is store
    with pytest.raises(InvalidArgument, match=r"http\(s\)://host:port"):
        uris.tracking_store("ftp://example/x")


def test_http_urls_outside_the_proxy_are_not_artifact_roots() -> None:
    with pytest.raises(InvalidArgument, match="Unsupported artifact URI"):
        uris.artifact_repo("http://h:5000/files/x")


def test_a_server_under_a_static_prefix(
    start_server: StartServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = start_server(static_prefix="/mlflow")
    monkeypatch.setenv("RUNWELL_TRACKING_URI", live.url + "/mlflow")
    (tmp_path / "a.txt").write_text("prefixed")
    runwell.set_experiment("behind-prefix")
    with runwell.start_run() as run:
        runwell.log_metric("m", 1.0)
        runwell.log_artifact(str(tmp_path / "a.txt"))
    assert runwell.get_run(run.info.run_id).data.metric_dict == {"m": 1.0}
    assert artifacts.load_text(f"runs:/{run.info.run_id}/a.txt") == "prefixed"
    stored = live.artifacts / run.info.experiment_id / run.info.run_id / "artifacts" / "a.txt"
    assert stored.read_text() == "prefixed"
