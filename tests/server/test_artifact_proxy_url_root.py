"""MLflow's documented ``--default-artifact-root http://HOST:PORT/api/2.0/mlflow-artifacts/artifacts``:
runs get locations on the server's own proxy, which it reads from its artifacts destination
(never over HTTP); other http locations stay refused. And downloads carry MLflow's types."""

from __future__ import annotations

import pytest

from runwell.server.routes.artifacts import content_type
from tests.server.conftest import Live, StartLive

OWN = "http://tracking.example:5000/api/2.0/mlflow-artifacts/artifacts"


def test_runs_under_the_proxy_url_root_list_and_download(start_live: StartLive) -> None:
    live = start_live(artifact_root=OWN)
    exp_id = live.store.create_experiment("proxied").experiment_id
    run = live.store.create_run(exp_id, "u", 1).info
    assert run.artifact_uri == f"{OWN}/{exp_id}/{run.run_id}/artifacts"
    stored = f"/mlflow-artifacts/artifacts/{exp_id}/{run.run_id}/artifacts/model/MLmodel"
    assert live.http.put("/api/2.0" + stored, content=b"flavors: {}\n").status_code == 200
    listed = live.ok("GET", "/mlflow/artifacts/list", params={"run_id": run.run_id})
    assert listed == {
        "root_uri": run.artifact_uri,
        "files": [{"path": "model", "is_dir": True}],
    }
    got = live.http.get("/get-artifact", params={"run_id": run.run_id, "path": "model/MLmodel"})
    assert got.status_code == 200, got.text
    assert got.content == b"flavors: {}\n"
    assert got.headers["content-type"] == "text/plain"
    assert got.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "location",
    [
        "http://elsewhere.example:5000/api/2.0/mlflow-artifacts/artifacts/x",  # another host
        "http://tracking.example:5001/api/2.0/mlflow-artifacts/artifacts/x",  # another port
        "https://tracking.example:5000/api/2.0/mlflow-artifacts/artifacts/x",  # another scheme
        "http://tracking.example:5000/other/x",  # not the proxy route
    ],
)
def test_other_http_locations_stay_refused(start_live: StartLive, location: str) -> None:
    live = start_live(artifact_root=OWN)
    exp_id = live.store.create_experiment("elsewhere", artifact_location=location).experiment_id
    run_id = live.store.create_run(exp_id, "u", 1).info.run_id
    message = live.fails(
        "GET", "/mlflow/artifacts/list", None, 403, "PERMISSION_DENIED", params={"run_id": run_id}
    )
    assert "'http" in message


def test_a_proxy_url_escaping_the_destination_is_refused(start_live: StartLive) -> None:
    live = start_live(artifact_root=OWN)
    exp_id = live.store.create_experiment("escape", artifact_location=f"{OWN}/%2e%2e").experiment_id
    run_id = live.store.create_run(exp_id, "u", 1).info.run_id
    live.fails(
        "GET",
        "/mlflow/artifacts/list",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"run_id": run_id},
    )


def test_without_a_proxy_url_root_http_locations_are_refused(live: Live) -> None:
    exp_id = live.store.create_experiment("plain", artifact_location=OWN).experiment_id
    run_id = live.store.create_run(exp_id, "u", 1).info.run_id
    live.fails(
        "GET", "/mlflow/artifacts/list", None, 403, "PERMISSION_DENIED", params={"run_id": run_id}
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MLmodel", "text/plain"),
        ("MLproject", "text/plain"),
        ("conda.yaml", "text/plain"),
        ("requirements.txt", "text/plain"),
        ("data.json", "text/plain"),
        ("table.csv", "text/plain"),
        ("notes.md", "text/plain"),
        ("model.pkl", "application/octet-stream"),
        ("plot.png", "image/png"),
        ("main.c", "text/x-csrc"),
        # MLflow would send these as guessed; a page or script never leaves as one here.
        ("report.html", "text/plain"),
        ("page.xhtml", "text/plain"),
        ("figure.svg", "text/plain"),
        ("feed.atom", "text/plain"),
    ],
)
def test_download_types_follow_mlflow(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_downloads_carry_no_charset(live: Live) -> None:
    exp_id = live.store.create_experiment("types").experiment_id
    run = live.store.create_run(exp_id, "u", 1).info
    base = f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run.run_id}/artifacts"
    for name in ("MLproject", "log.txt", "page.html"):
        assert live.http.put(f"{base}/{name}", content=b"<b>x</b>").status_code == 200
        for got in (
            live.http.get(f"{base}/{name}"),
            live.http.get("/get-artifact", params={"run_id": run.run_id, "path": name}),
        ):
            assert got.status_code == 200, got.text
            assert got.headers["content-type"] == "text/plain", name
            assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
