"""S3 failures become runwell errors that say what to fix; bad input never reaches the network."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from runwell.errors import ErrorCode, InvalidArgument, NotFound, RunwellError, Unavailable
from runwell.store import uri as uris
from runwell.store.artifacts.s3 import S3ArtifactRepo, forget_clients, parse_s3_uri
from tests.s3.conftest import S3Bucket, point_environment_at


@pytest.fixture
def dead_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An endpoint where nothing listens: any request that is sent fails to connect."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    point_environment_at(monkeypatch, tmp_path, url, "key", "secret")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    forget_clients()
    return url


@pytest.mark.parametrize("path", ["../up", "/abs", "a/../../b", "a\\b", "a#b"])
def test_bad_paths_are_refused_before_any_request(
    dead_endpoint: str, tmp_path: Path, path: str
) -> None:
    repo = uris.artifact_repo("s3://bucket/prefix")
    (tmp_path / "f.txt").write_text("x")
    # A request would fail with Unavailable (the endpoint is dead): InvalidArgument proves
    # that the path check came first.
    for call in (
        lambda: repo.log_artifact(str(tmp_path / "f.txt"), path),
        lambda: repo.write_bytes(path, b"x"),
        lambda: repo.read_chunks(path),
        lambda: repo.list_artifacts(path),
        lambda: repo.download_artifacts(path, str(tmp_path / "dl")),
        lambda: repo.delete_artifacts(path),
    ):
        with pytest.raises(InvalidArgument, match="Invalid artifact"):
            call()


def test_an_unreachable_endpoint_is_unavailable(dead_endpoint: str, tmp_path: Path) -> None:
    repo = uris.artifact_repo("s3://bucket/prefix")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(Unavailable, match=dead_endpoint) as caught:
        repo.read_bytes("a.txt")
    assert caught.value.code is ErrorCode.TEMPORARILY_UNAVAILABLE
    with pytest.raises(Unavailable, match=dead_endpoint):
        repo.log_artifact(str(tmp_path / "f.txt"))
    with pytest.raises(Unavailable, match=dead_endpoint):
        repo.list_artifacts()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://", "expected s3://<bucket>/<prefix>"),
        ("s3:///prefix", "expected s3://<bucket>/<prefix>"),
        ("s3://ab/prefix", "3 to 63 characters"),
        ("s3://bucket/prefix?versionId=1", "no query or fragment"),
        ("s3://bucket/a/../b", "'..' segments"),
        ("s3://bucket/a//b", "normal form"),
    ],
)
def test_malformed_s3_uris_are_refused(uri: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        uris.artifact_repo(uri)


def test_uri_parts() -> None:
    assert parse_s3_uri("s3://bucket") == ("bucket", "")
    assert parse_s3_uri("s3://bucket/") == ("bucket", "")
    assert parse_s3_uri("s3://bucket/a/b/") == ("bucket", "a/b")


def test_unsupported_schemes_name_the_supported_ones() -> None:
    with pytest.raises(InvalidArgument, match=r"s3://<bucket>/<prefix>"):
        uris.artifact_repo("gs://bucket/prefix")


def test_a_missing_key_is_not_found(s3: S3Bucket, tmp_path: Path) -> None:
    repo = uris.artifact_repo(s3.uri("runs/1"))
    with pytest.raises(NotFound, match=r"'dir/missing\.txt' under s3://") as caught:
        repo.read_bytes("dir/missing.txt")
    assert caught.value.code is ErrorCode.RESOURCE_DOES_NOT_EXIST
    with pytest.raises(NotFound, match=r"missing\.txt"):
        repo.read_chunks("dir/missing.txt")
    with pytest.raises(NotFound, match=r"missing\.txt"):
        repo.download_artifacts("dir/missing.txt", str(tmp_path))


def test_a_missing_bucket_is_not_found_and_named(s3: S3Bucket) -> None:
    repo = uris.artifact_repo("s3://no-such-bucket-here/runs")
    with pytest.raises(NotFound, match="bucket 'no-such-bucket-here' does not exist"):
        repo.write_bytes("a.txt", b"x")
    with pytest.raises(NotFound, match="no-such-bucket-here"):
        repo.list_artifacts()


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        ("runwell-test", "wrong-secret", "SignatureDoesNotMatch"),
        ("nobody", "x", "InvalidAccessKeyId"),
    ],
)
def test_wrong_credentials_are_permission_denied_with_a_hint(
    s3: S3Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    secret: str,
    code: str,
) -> None:
    uris.artifact_repo(s3.uri("runs")).write_bytes("kept.txt", b"x")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    repo = uris.artifact_repo(s3.uri("runs"))
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(RunwellError, match=f"bucket '{s3.name}' \\({code}"):
        repo.write_bytes("a.txt", b"x")
    for call in (
        lambda: repo.read_bytes("kept.txt"),
        lambda: repo.list_artifacts(),
        lambda: repo.log_artifact(str(tmp_path / "f.txt")),
        lambda: repo.download_artifacts("kept.txt", str(tmp_path / "dl")),
        lambda: repo.delete_artifacts("kept.txt"),
    ):
        with pytest.raises(RunwellError, match=r"Access denied.*AWS_ACCESS_KEY_ID") as caught:
            call()
        assert caught.value.code is ErrorCode.PERMISSION_DENIED
        assert caught.value.http_status == 403
    assert s3.keys() == ["runs/kept.txt"]  # nothing was written or deleted


def test_missing_credentials_are_unauthenticated(
    s3: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    repo = S3ArtifactRepo(s3.uri("runs"))
    with pytest.raises(RunwellError, match="No usable S3 credentials") as caught:
        repo.write_bytes("a.txt", b"x")
    assert caught.value.code is ErrorCode.UNAUTHENTICATED


def test_keys_written_by_other_tools_cannot_escape_a_download(s3: S3Bucket, tmp_path: Path) -> None:
    s3.admin.put_object(Bucket=s3.name, Key="runs/ok.txt", Body=b"ok")
    s3.admin.put_object(Bucket=s3.name, Key="runs/a/../../escaped.txt", Body=b"evil")
    assert "runs/a/../../escaped.txt" in s3.keys()  # stored verbatim by the gateway
    repo = uris.artifact_repo(s3.uri("runs"))
    with pytest.raises(InvalidArgument, match=r"Refusing to download key 'runs/a/\.\./"):
        repo.download_artifacts("", str(tmp_path / "dl" / "inner"))
    assert not (tmp_path / "dl" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_folder_markers_from_consoles_are_not_files(s3: S3Bucket, tmp_path: Path) -> None:
    for key in ("runs/model/", "runs/model/empty-dir/", "runs/model/w.bin"):
        s3.admin.put_object(Bucket=s3.name, Key=key, Body=b"" if key.endswith("/") else b"w")
    repo = uris.artifact_repo(s3.uri("runs"))
    assert [(f.path, f.is_dir) for f in repo.list_artifacts()] == [("model", True)]
    assert [(f.path, f.is_dir) for f in repo.list_artifacts("model")] == [
        ("model/empty-dir", True),
        ("model/w.bin", False),
    ]
    folder = Path(repo.download_artifacts("model", str(tmp_path / "dl")))
    assert sorted(p.name for p in folder.iterdir()) == ["w.bin"]
    repo.delete_artifacts("model")
    assert s3.keys() == []  # the markers went too
