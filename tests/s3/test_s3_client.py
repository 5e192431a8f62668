"""The tracking client with RUNWELL_ARTIFACT_ROOT=s3://bucket/prefix: runs keep artifacts in S3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runwell
from runwell.errors import InvalidArgument, NotFound
from tests.s3.conftest import S3Bucket


@pytest.fixture
def s3_root(s3: S3Bucket, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    monkeypatch.setenv("RUNWELL_ARTIFACT_ROOT", s3.uri("mlruns"))
    return s3


def test_client_logs_lists_and_downloads_run_artifacts_in_s3(
    s3_root: S3Bucket, tmp_path: Path
) -> None:
    (tmp_path / "model" / "sub").mkdir(parents=True)
    (tmp_path / "model" / "weights.bin").write_bytes(b"\x01" * 32)
    (tmp_path / "model" / "sub" / "c.txt").write_text("c")
    (tmp_path / "notes.txt").write_text("hello")
    client = runwell.RunwellClient()
    experiment_id = client.create_experiment("s3-artifacts")
    run_id = client.create_run(experiment_id).info.run_id
    run_uri = client.get_run(run_id).info.artifact_uri
    assert run_uri == s3_root.uri(f"mlruns/{experiment_id}/{run_id}/artifacts")

    client.log_artifact(run_id, str(tmp_path / "notes.txt"))
    client.log_artifact(run_id, str(tmp_path / "model"))  # a directory keeps its name
    client.log_artifacts(run_id, str(tmp_path / "model"), "copy")
    client.log_text(run_id, "some text", "out/readme.md")
    client.log_dict(run_id, {"a": [1, 2]}, "config.json")

    prefix = f"mlruns/{experiment_id}/{run_id}/artifacts/"
    assert s3_root.keys(prefix) == [
        prefix + name
        for name in (
            "config.json",
            "copy/sub/c.txt",
            "copy/weights.bin",
            "model/sub/c.txt",
            "model/weights.bin",
            "notes.txt",
            "out/readme.md",
        )
    ]
    config = client.artifact_repo_for_run(run_id).read_bytes("config.json")
    assert json.loads(config) == {"a": [1, 2]}
    top = [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id)]
    assert top == [
        ("config.json", False, len(config)),
        ("copy", True, None),
        ("model", True, None),
        ("notes.txt", False, 5),
        ("out", True, None),
    ]
    assert [f.path for f in client.list_artifacts(run_id, "model")] == [
        "model/sub",
        "model/weights.bin",
    ]
    folder = Path(client.download_artifacts(run_id, "model", str(tmp_path / "dl")))
    assert (folder / "weights.bin").read_bytes() == b"\x01" * 32
    assert (folder / "sub" / "c.txt").read_text() == "c"
    one = client.download_artifacts(run_id, "out/readme.md", str(tmp_path / "dl2"))
    assert Path(one).read_text() == "some text"


def test_fluent_api_and_runs_uris_read_back_from_s3(s3_root: S3Bucket, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with runwell.start_run() as run:
        runwell.log_artifact(str(tmp_path / "notes.txt"), artifact_path="docs")
        runwell.log_dict({"b": {"c": 1}}, "config.yaml")
        runwell.log_table({"x": [1, 2]}, "table.json")
        artifact_uri = runwell.get_artifact_uri()
    assert artifact_uri.startswith(s3_root.uri("mlruns/0/"))
    base = f"runs:/{run.info.run_id}"
    assert runwell.artifacts.load_text(f"{base}/docs/notes.txt") == "hello"
    assert runwell.artifacts.load_dict(f"{base}/config.yaml") == {"b": {"c": 1}}
    assert runwell.artifacts.load_dict(f"{base}/table.json") == {
        "columns": ["x"],
        "data": [[1], [2]],
    }
    listed = runwell.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="docs")
    assert [(f.path, f.file_size) for f in listed] == [("docs/notes.txt", 5)]
    with pytest.raises(NotFound, match=r"missing\.txt"):
        runwell.artifacts.load_text(f"{base}/missing.txt")


def test_client_refuses_escaping_paths_before_touching_s3(
    s3_root: S3Bucket, tmp_path: Path
) -> None:
    (tmp_path / "f.txt").write_text("x")
    with runwell.start_run() as run:
        with pytest.raises(InvalidArgument):
            runwell.log_artifact(str(tmp_path / "f.txt"), artifact_path="../other-run")
        with pytest.raises(InvalidArgument):
            runwell.log_text("x", "../../escape.txt")
    assert s3_root.keys() == []
    assert runwell.artifacts.list_artifacts(run_id=run.info.run_id) == []
