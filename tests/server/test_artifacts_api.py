"""The mlflow-artifacts proxy, run-scoped listing and UI download, on a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from runwell.store.artifacts.local import LocalArtifactRepo
from tests.server.conftest import Live, StartLive

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def _put(live: Live, path: str, data: bytes, content_type: str = "text/plain") -> None:
    response = live.http.put(
        f"{PROXY}/{path}", content=data, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text


def test_put_get_round_trip_with_download_headers(live: Live) -> None:
    _put(live, "1/run/artifacts/hello.txt", b"hello")
    assert (live.artifacts / "1/run/artifacts/hello.txt").read_bytes() == b"hello"
    response = live.http.get(f"{PROXY}/1/run/artifacts/hello.txt")
    assert response.status_code == 200
    assert response.content == b"hello"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == 'attachment; filename="hello.txt"'
    assert response.headers["x-content-type-options"] == "nosniff"


def test_put_overwrites_and_accepts_any_content_type(live: Live) -> None:
    _put(live, "a/model.bin", b"one", "application/octet-stream")
    _put(live, "a/model.bin", b"two", "image/png")
    assert live.http.get(f"{PROXY}/a/model.bin").content == b"two"
    assert [p.name for p in (live.artifacts / "a").iterdir()] == ["model.bin"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page.html", "text/plain"),
        ("image.svg", "text/plain"),
        ("plot.png", "image/png"),
        ("MLmodel", "text/plain"),
        ("weights.xyz-unknown", "application/octet-stream"),
    ],
)
def test_download_types_never_render_active_content(live: Live, name: str, expected: str) -> None:
    _put(live, f"t/{name}", b"<script>alert(1)</script>")
    response = live.http.get(f"{PROXY}/t/{name}")
    assert response.headers["content-type"].split(";")[0] == expected


def test_non_ascii_names_use_rfc5987_disposition(live: Live) -> None:
    _put(live, "t/%C3%A9t%C3%A9.txt", b"x")
    response = live.http.get(f"{PROXY}/t/%C3%A9t%C3%A9.txt")
    assert (
        response.headers["content-disposition"] == "attachment; filename*=utf-8''%C3%A9t%C3%A9.txt"
    )


def test_list_gives_basenames_and_empty_object_for_files_or_missing(live: Live) -> None:
    _put(live, "1/r/artifacts/a.txt", b"abc")
    _put(live, "1/r/artifacts/sub/b.txt", b"b")
    listed = live.ok("GET", "/mlflow-artifacts/artifacts", params={"path": "1/r/artifacts"})
    assert listed == {
        "files": [
            {"path": "a.txt", "is_dir": False, "file_size": 3},
            {"path": "sub", "is_dir": True},
        ]
    }
    sub = live.ok("GET", "/mlflow-artifacts/artifacts", params={"path": "1/r/artifacts/sub"})
    assert sub == {"files": [{"path": "b.txt", "is_dir": False, "file_size": 1}]}
    file_path = {"path": "1/r/artifacts/a.txt"}
    assert live.ok("GET", "/mlflow-artifacts/artifacts", params=file_path) == {}
    assert live.ok("GET", "/mlflow-artifacts/artifacts", params={"path": "nope"}) == {}
    root = live.ok("GET", "/mlflow-artifacts/artifacts")
    assert root == {"files": [{"path": "1", "is_dir": True}]}


def test_get_missing_is_404_and_directory_is_400(live: Live) -> None:
    _put(live, "d/f.txt", b"x")
    missing = live.http.get(f"{PROXY}/d/none.txt")
    assert missing.status_code == 404
    assert missing.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": "No such artifact: 'd/none.txt'",
    }
    directory = live.http.get(f"{PROXY}/d")
    assert directory.status_code == 400
    assert directory.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_put_onto_a_directory_or_without_a_name_is_400(live: Live) -> None:
    _put(live, "d/f.txt", b"x")
    for path in ("d", "d/", ""):
        response = live.http.put(f"{PROXY}/{path}", content=b"y")
        assert response.status_code in (400, 405), (path, response.text)
        if response.status_code == 400:
            assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert (live.artifacts / "d/f.txt").read_bytes() == b"x"


def test_delete_file_directory_and_missing(live: Live) -> None:
    _put(live, "x/a.txt", b"a")
    _put(live, "x/sub/b.txt", b"b")
    assert live.http.delete(f"{PROXY}/x/a.txt").json() == {}
    assert not (live.artifacts / "x/a.txt").exists()
    assert live.http.delete(f"{PROXY}/x/sub").json() == {}
    assert not (live.artifacts / "x/sub").exists()
    assert live.http.delete(f"{PROXY}/x/none").status_code == 200
    assert live.http.delete(f"{PROXY}/").status_code == 400
    assert (live.artifacts / "x").is_dir()


def test_ajax_twin_of_the_proxy(live: Live) -> None:
    response = live.http.put("/ajax-api/2.0/mlflow-artifacts/artifacts/u/f.txt", content=b"ajax")
    assert response.status_code == 200
    assert live.http.get(f"{PROXY}/u/f.txt").content == b"ajax"


def test_multipart_and_presigned_routes_are_not_implemented(live: Live) -> None:
    calls = [
        ("POST", "/api/2.0/mlflow-artifacts/mpu/create/1/r", {"path": "f", "num_parts": 2}),
        ("GET", "/api/2.0/mlflow-artifacts/presigned/1/r/f", None),
        ("POST", "/api/2.0/mlflow/artifacts/presigned-upload-url", {"run_id": "r", "path": "f"}),
        ("POST", "/api/2.0/mlflow/artifacts/presigned-download-url", {"run_id": "r", "path": "f"}),
    ]
    for method, path, body in calls:
        response = live.http.request(method, path, json=body)
        assert response.status_code == 501, path
        assert response.json()["error_code"] == "NOT_IMPLEMENTED"


def test_no_serve_artifacts_answers_503_and_says_so(start_live: StartLive) -> None:
    live = start_live(serve_artifacts=False)
    info = live.http.get("/api/3.0/mlflow/server-info").json()
    assert info["artifact_serving_enabled"] is False
    response = live.http.put(f"{PROXY}/a.txt", content=b"x")
    assert response.status_code == 503
    assert "--serve-artifacts" in response.json()["message"]
    assert live.http.get(f"{PROXY}/a.txt").status_code == 503
    assert live.call("GET", "/mlflow-artifacts/artifacts").status_code == 503
    assert live.ok("GET", "/mlflow/experiments/get", params={"experiment_id": "0"})


def test_artifacts_only_disables_tracking(start_live: StartLive) -> None:
    live = start_live(artifacts_only=True)
    response = live.call("POST", "/mlflow/experiments/create", {"name": "x"})
    assert response.status_code == 503
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "--artifacts-only" in response.json()["message"]
    _put(live, "a/b.txt", b"still served")
    assert live.http.get(f"{PROXY}/a/b.txt").content == b"still served"


def _run_with_artifact(live: Live) -> tuple[str, str]:
    run = live.store.create_run("0", "u", 0)
    prefix = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    _put(live, f"{prefix}/plots/loss.png", b"png")
    _put(live, f"{prefix}/notes.txt", b"notes")
    return run.info.run_id, run.info.artifact_uri


def test_run_scoped_listing_uses_paths_relative_to_the_run(live: Live) -> None:
    run_id, root = _run_with_artifact(live)
    listed = live.ok("GET", "/mlflow/artifacts/list", params={"run_id": run_id})
    assert listed == {
        "root_uri": root,
        "files": [
            {"path": "notes.txt", "is_dir": False, "file_size": 5},
            {"path": "plots", "is_dir": True},
        ],
    }
    plots = live.ok("GET", "/mlflow/artifacts/list", params={"run_id": run_id, "path": "plots"})
    assert plots["files"] == [{"path": "plots/loss.png", "is_dir": False, "file_size": 3}]
    empty = live.ok("GET", "/mlflow/artifacts/list", params={"run_id": run_id, "path": "none"})
    assert empty == {"root_uri": root}
    live.fails(
        "GET",
        "/mlflow/artifacts/list",
        None,
        404,
        "RESOURCE_DOES_NOT_EXIST",
        params={"run_id": "0" * 32},
    )


def test_get_artifact_downloads_a_run_file(live: Live) -> None:
    run_id, _root = _run_with_artifact(live)
    response = live.http.get("/get-artifact", params={"run_id": run_id, "path": "plots/loss.png"})
    assert response.status_code == 200
    assert response.content == b"png"
    assert response.headers["content-disposition"] == 'attachment; filename="loss.png"'
    missing = live.http.get("/get-artifact", params={"run_id": run_id, "path": "none.txt"})
    assert missing.status_code == 404


def test_run_artifacts_under_the_store_root_are_readable(
    start_live: StartLive, tmp_path: Path
) -> None:
    live = start_live(artifact_root=(tmp_path / "store-root").as_uri())
    run = live.store.create_run("0", "u", 0)
    LocalArtifactRepo(run.info.artifact_uri).write_bytes("f.txt", b"local")
    listed = live.ok("GET", "/mlflow/artifacts/list", params={"run_id": run.info.run_id})
    assert listed["files"] == [{"path": "f.txt", "is_dir": False, "file_size": 5}]
    response = live.http.get("/get-artifact", params={"run_id": run.info.run_id, "path": "f.txt"})
    assert response.content == b"local"


def test_run_artifacts_outside_the_server_roots_are_refused(live: Live, tmp_path: Path) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    experiment = live.store.create_experiment("sneaky", artifact_location=outside.as_uri())
    run = live.store.create_run(experiment.experiment_id, "u", 0)
    (Path(run.info.artifact_uri.removeprefix("file://")) / "secret.txt").parent.mkdir(parents=True)
    (Path(run.info.artifact_uri.removeprefix("file://")) / "secret.txt").write_text("secret")
    response = live.http.get(
        "/get-artifact", params={"run_id": run.info.run_id, "path": "secret.txt"}
    )
    assert response.status_code == 403
    assert response.json()["error_code"] == "PERMISSION_DENIED"
    listing = live.call("GET", "/mlflow/artifacts/list", params={"run_id": run.info.run_id})
    assert listing.status_code == 403


def test_run_artifacts_at_http_locations_are_not_fetched(live: Live) -> None:
    experiment = live.store.create_experiment(
        "remote", artifact_location="http://169.254.169.254/latest"
    )
    run = live.store.create_run(experiment.experiment_id, "u", 0)
    response = live.http.get("/get-artifact", params={"run_id": run.info.run_id, "path": "x"})
    assert response.status_code == 403
    assert "http" in response.json()["message"]
