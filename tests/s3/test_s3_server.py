"""The tracking server proxying artifacts to an S3 destination (``mlflow-artifacts`` routes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import runwell
from runwell.server.app import create_app
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve
from tests.s3.conftest import S3Bucket

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def server(s3: S3Bucket, tmp_path: Path) -> Iterator[str]:
    """A live server over SQLite whose artifacts destination is ``s3://<bucket>/proxied``."""
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/server.db", "mlflow-artifacts:")
    with serve(create_app(store, artifacts_destination=s3.uri("proxied"))) as url:
        yield url
    store.engine.dispose()


def test_proxy_uploads_lists_downloads_and_deletes_in_s3(s3: S3Bucket, server: str) -> None:
    big = bytes(range(256)) * (24 * 4096)  # 24 MiB: over the multipart threshold
    with httpx.Client(base_url=server, timeout=60) as http:
        assert http.put(f"{PROXY}/1/r/artifacts/model.bin", content=big).json() == {}
        assert http.put(f"{PROXY}/1/r/artifacts/sub/notes.txt", content=b"hi").json() == {}
        assert s3.keys() == [
            "proxied/1/r/artifacts/model.bin",
            "proxied/1/r/artifacts/sub/notes.txt",
        ]
        head = s3.admin.head_object(Bucket=s3.name, Key="proxied/1/r/artifacts/model.bin")
        assert head["ETag"].strip('"').endswith("-2")  # two 16 MiB parts

        listed = http.get(PROXY, params={"path": "1/r/artifacts"}).json()
        assert listed == {
            "files": [
                {"path": "model.bin", "is_dir": False, "file_size": len(big)},
                {"path": "sub", "is_dir": True},
            ]
        }
        with http.stream("GET", f"{PROXY}/1/r/artifacts/model.bin") as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/octet-stream"
            assert b"".join(response.iter_bytes()) == big

        missing = http.get(f"{PROXY}/1/r/artifacts/none.bin")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        directory = http.get(f"{PROXY}/1/r/artifacts/sub")
        assert directory.status_code == 400
        assert directory.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        escape = http.get(PROXY, params={"path": "1/../../other-bucket"})
        assert escape.status_code == 400

        assert http.delete(f"{PROXY}/1/r/artifacts/sub").json() == {}
        assert s3.keys() == ["proxied/1/r/artifacts/model.bin"]


def test_client_over_http_keeps_run_artifacts_in_the_servers_bucket(
    s3: S3Bucket, server: str, tmp_path: Path
) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"\x02" * 100)
    client = runwell.RunwellClient(server)
    run = client.create_run("0")
    run_id = run.info.run_id
    assert run.info.artifact_uri == f"mlflow-artifacts:/0/{run_id}/artifacts"
    client.log_artifact(run_id, str(tmp_path / "model"))
    client.log_text(run_id, "through the proxy", "notes/readme.md")
    assert s3.keys() == [
        f"proxied/0/{run_id}/artifacts/model/weights.bin",
        f"proxied/0/{run_id}/artifacts/notes/readme.md",
    ]
    assert [f.path for f in client.list_artifacts(run_id)] == ["model", "notes"]
    folder = Path(client.download_artifacts(run_id, "model", str(tmp_path / "dl")))
    assert (folder / "weights.bin").read_bytes() == b"\x02" * 100
