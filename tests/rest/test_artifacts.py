"""Artifacts through the server's proxy (HttpArtifactRepo), from the client and fluent API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runwell
from runwell import artifacts
from runwell.errors import InvalidArgument, NotFound
from runwell.store import uri as uris
from runwell.store.artifacts.http import HttpArtifactRepo
from tests.rest.conftest import Server


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_fluent_artifacts_land_on_the_server_and_come_back(server: Server, tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"\x00\x01weights")
    data = tmp_path / "data"
    (data / "nested").mkdir(parents=True)
    (data / "a.csv").write_text("x,y\n1,2\n")
    (data / "nested" / "b.txt").write_text("deep")
    with runwell.start_run() as run:
        runwell.log_artifact(str(tmp_path / "model.pkl"))
        runwell.log_artifact(str(tmp_path / "model.pkl"), artifact_path="copies/v1")
        runwell.log_artifacts(str(data), artifact_path="data")
        runwell.log_text("hello", "notes/hello.txt")
        runwell.log_dict({"lr": 0.1, "layers": [1, 2]}, "config.json")
        runwell.log_dict({"k": "v"}, "config.yaml")
    uri = run.info.artifact_uri
    assert uri == f"mlflow-artifacts:/0/{run.info.run_id}/artifacts"
    on_server = server.artifacts / "0" / run.info.run_id / "artifacts"
    assert _tree(on_server) == {
        "config.json": json.dumps({"lr": 0.1, "layers": [1, 2]}, indent=2).encode(),
        "config.yaml": (on_server / "config.yaml").read_bytes(),
        "copies/v1/model.pkl": b"\x00\x01weights",
        "data/a.csv": b"x,y\n1,2\n",
        "data/nested/b.txt": b"deep",
        "model.pkl": b"\x00\x01weights",
        "notes/hello.txt": b"hello",
    }
    client = runwell.RunwellClient()
    listed = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir, f.file_size) for f in listed] == [
        ("config.json", False, len(_tree(on_server)["config.json"])),
        ("config.yaml", False, len(_tree(on_server)["config.yaml"])),
        ("copies", True, None),
        ("data", True, None),
        ("model.pkl", False, 9),
        ("notes", True, None),
    ]
    assert [f.path for f in client.list_artifacts(run.info.run_id, "data")] == [
        "data/a.csv",
        "data/nested",
    ]
    assert artifacts.load_dict(f"runs:/{run.info.run_id}/config.yaml") == {"k": "v"}
    assert artifacts.load_text(f"{uri}/notes/hello.txt") == "hello"
    whole = Path(client.download_artifacts(run.info.run_id, "", str(tmp_path / "all")))
    assert _tree(whole) == _tree(on_server)
    one = artifacts.download_artifacts(f"{uri}/data/nested/b.txt", dst_path=str(tmp_path / "one"))
    assert Path(one).read_text() == "deep"
    folder = artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="data")
    assert _tree(Path(folder)) == {"a.csv": b"x,y\n1,2\n", "nested/b.txt": b"deep"}
    assert [f.path for f in artifacts.list_artifacts(f"{uri}/data")] == ["a.csv", "nested"]


def test_repo_reads_streams_and_deletes(server: Server) -> None:
    url = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/some/root"
    repo = uris.artifact_repo(url)
    assert isinstance(repo, HttpArtifactRepo) and repo.root_uri == url
    repo.write_bytes("dir/file.bin", bytes(range(256)) * 10)
    chunks = list(repo.read_chunks("dir/file.bin", chunk_size=1000))
    assert b"".join(chunks) == bytes(range(256)) * 10 and len(chunks) >= 3
    assert (
        repo.read_bytes("dir/file.bin")
        == (server.artifacts / "some/root/dir/file.bin").read_bytes()
    )
    with pytest.raises(NotFound, match="dir/missing"):
        repo.read_chunks("dir/missing")  # raised by the call, not by the first chunk
    with pytest.raises(InvalidArgument):
        repo.read_bytes("dir")
    repo.delete_artifacts("dir/file.bin")
    assert repo.list_artifacts("dir") == []
    repo.write_bytes("x/y.txt", b"1")
    repo.delete_artifacts()
    assert not (server.artifacts / "some/root").exists()


@pytest.mark.parametrize("path", ["../escape.txt", "/abs.txt", "a/../../b", "back\\slash"])
def test_unsafe_paths_are_refused_before_any_request(server: Server, path: str) -> None:
    repo = uris.artifact_repo(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/r")
    with pytest.raises(InvalidArgument, match="Invalid artifact"):
        repo.write_bytes(path, b"x")
    with pytest.raises(InvalidArgument, match="Invalid artifact"):
        repo.read_bytes(path)


def test_missing_sources_and_artifacts_are_not_found(server: Server, tmp_path: Path) -> None:
    with runwell.start_run() as run:
        with pytest.raises(NotFound, match="No such file"):
            runwell.log_artifact(str(tmp_path / "nope.txt"))
        with pytest.raises(NotFound, match="No such directory"):
            runwell.log_artifacts(str(tmp_path / "nope"))
    with pytest.raises(NotFound):
        runwell.RunwellClient().download_artifacts(run.info.run_id, "nope.txt", str(tmp_path))


_TRANSFER = """
import os, resource, sys
from runwell.store.artifacts.http import HttpArtifactRepo
repo = HttpArtifactRepo(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
repo.log_artifact(sys.argv[2], "big")
repo.download_artifacts("big/" + os.path.basename(sys.argv[2]), sys.argv[3])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""


def test_a_large_file_travels_in_constant_memory(server: Server, tmp_path: Path) -> None:
    size = 160 * 1024 * 1024
    source = tmp_path / "big.bin"
    with source.open("wb") as handle:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            handle.write(block)
    url = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/large"
    done = subprocess.run(
        [sys.executable, "-c", _TRANSFER, url, str(source), str(tmp_path / "back")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    grown_mib = int(done.stdout.strip())
    assert grown_mib < 48, f"the client grew by {grown_mib} MiB moving a 160 MiB file"
    copy = tmp_path / "back" / "big" / "big.bin"
    assert copy.stat().st_size == size
    with source.open("rb") as a, copy.open("rb") as b:
        while chunk := a.read(1 << 24):
            assert chunk == b.read(1 << 24)
    assert (server.artifacts / "large/big/big.bin").stat().st_size == size
