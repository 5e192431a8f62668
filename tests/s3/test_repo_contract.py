"""The ArtifactRepo behaviours, run on LocalArtifactRepo and on S3ArtifactRepo over a real gateway.

Each test runs twice with the same assertions, so the S3 repository is held to exactly what the
local one promises (paths relative to the root, sorted listings, sizes, NotFound and
InvalidArgument in the same places).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runwell.errors import InvalidArgument, NotFound
from runwell.store import uri as uris
from runwell.store.protocols import ArtifactRepo
from tests.s3.conftest import S3Bucket


@pytest.fixture(params=["local", "s3"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactRepo:
    """An empty repository of each kind, made by the URI factory as the client makes it."""
    if request.param == "local":
        return uris.artifact_repo((tmp_path / "artifacts").as_uri())
    bucket: S3Bucket = request.getfixturevalue("s3")
    return uris.artifact_repo(bucket.uri("exp/1/run/artifacts"))


def _tree(root: Path) -> Path:
    (root / "model" / "sub").mkdir(parents=True)
    (root / "model" / "weights.bin").write_bytes(b"\x00" * 10)
    (root / "model" / "sub" / "c.txt").write_text("c")
    (root / "notes.txt").write_text("hello")
    return root


def test_logged_files_and_directories_are_listed_relative_to_the_root(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    src = _tree(tmp_path / "src")
    repo.log_artifact(str(src / "notes.txt"))
    repo.log_artifact(str(src / "notes.txt"), "docs/v1")
    repo.log_artifacts(str(src / "model"), "model")
    listing = [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts()]
    assert listing == [
        ("docs", True, None),
        ("model", True, None),
        ("notes.txt", False, 5),
    ]
    nested = [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts("model")]
    assert nested == [("model/sub", True, None), ("model/weights.bin", False, 10)]
    assert [f.path for f in repo.list_artifacts("docs/v1")] == ["docs/v1/notes.txt"]
    assert repo.list_artifacts("notes.txt") == []  # a file has no children
    assert repo.list_artifacts("missing") == []


def test_log_artifacts_without_a_path_keeps_the_directory_layout(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    repo.log_artifacts(str(_tree(tmp_path / "src")))
    assert repo.read_bytes("model/sub/c.txt") == b"c"
    assert repo.read_bytes("notes.txt") == b"hello"


def test_write_read_and_overwrite_bytes(repo: ArtifactRepo) -> None:
    repo.write_bytes("out/readme.md", b"first")
    repo.write_bytes("out/readme.md", b"second")
    repo.write_bytes("empty.bin", b"")
    assert repo.read_bytes("out/readme.md") == b"second"
    assert repo.read_bytes("empty.bin") == b""
    assert [(f.path, f.file_size) for f in repo.list_artifacts("out")] == [("out/readme.md", 6)]


def test_read_chunks_streams_the_file_in_bounded_chunks(repo: ArtifactRepo) -> None:
    payload = bytes(range(256)) * 4000  # 1,024,000 bytes
    repo.write_bytes("data/blob.bin", payload)
    chunks = list(repo.read_chunks("data/blob.bin", chunk_size=64 * 1024))
    assert b"".join(chunks) == payload
    assert len(chunks) >= 16 and all(len(c) <= 64 * 1024 for c in chunks)


def test_read_chunks_reports_missing_files_and_directories_before_streaming(
    repo: ArtifactRepo,
) -> None:
    repo.write_bytes("data/blob.bin", b"x")
    with pytest.raises(NotFound, match=r"nope\.bin"):
        repo.read_chunks("data/nope.bin")
    with pytest.raises(InvalidArgument, match="directory"):
        repo.read_chunks("data")
    with pytest.raises(InvalidArgument, match="directory"):
        repo.read_chunks("")


def test_read_bytes_of_a_missing_file_or_a_directory_is_not_found(repo: ArtifactRepo) -> None:
    repo.write_bytes("data/blob.bin", b"x")
    with pytest.raises(NotFound, match=r"missing\.txt"):
        repo.read_bytes("missing.txt")
    with pytest.raises(NotFound):
        repo.read_bytes("data")


def test_download_a_file_a_directory_and_the_root(repo: ArtifactRepo, tmp_path: Path) -> None:
    repo.log_artifacts(str(_tree(tmp_path / "src")))
    one = repo.download_artifacts("model/sub/c.txt", str(tmp_path / "dl1"))
    assert one == str(tmp_path / "dl1" / "model" / "sub" / "c.txt")
    assert Path(one).read_text() == "c"
    folder = repo.download_artifacts("model", str(tmp_path / "dl2"))
    assert folder == str(tmp_path / "dl2" / "model")
    assert (Path(folder) / "weights.bin").read_bytes() == b"\x00" * 10
    assert (Path(folder) / "sub" / "c.txt").read_text() == "c"
    everything = Path(repo.download_artifacts("", str(tmp_path / "dl3")))
    files = sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*"))
    assert files == ["model", "model/sub", "model/sub/c.txt", "model/weights.bin", "notes.txt"]
    with pytest.raises(NotFound, match="nothing-here"):
        repo.download_artifacts("nothing-here", str(tmp_path / "dl4"))


def test_delete_a_file_a_directory_and_everything(repo: ArtifactRepo, tmp_path: Path) -> None:
    repo.log_artifacts(str(_tree(tmp_path / "src")))
    repo.write_bytes("model-card.md", b"sibling sharing the prefix 'model'")
    repo.delete_artifacts("notes.txt")
    repo.delete_artifacts("model")
    repo.delete_artifacts("never-existed")  # deleting nothing is not an error
    assert [f.path for f in repo.list_artifacts()] == ["model-card.md"]
    repo.delete_artifacts()
    assert repo.list_artifacts() == []


def test_missing_local_sources_are_not_found(repo: ArtifactRepo, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"nope\.txt"):
        repo.log_artifact(str(tmp_path / "nope.txt"))
    with pytest.raises(NotFound, match="nodir"):
        repo.log_artifacts(str(tmp_path / "nodir"))


BAD_PATHS = ["../escape", "a/../../b", "/abs", "a\\b", "C:/x", "a#frag", "x/../y"]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_paths_that_leave_the_root_are_refused(
    repo: ArtifactRepo, tmp_path: Path, path: str
) -> None:
    (tmp_path / "f.txt").write_text("x")
    calls: list[Callable[[], object]] = [
        lambda: repo.log_artifact(str(tmp_path / "f.txt"), path),
        lambda: repo.log_artifacts(str(tmp_path), path),
        lambda: repo.write_bytes(path, b"x"),
        lambda: repo.read_bytes(path),
        lambda: repo.read_chunks(path),
        lambda: repo.list_artifacts(path),
        lambda: repo.download_artifacts(path, str(tmp_path / "dl")),
        lambda: repo.delete_artifacts(path),
    ]
    for call in calls:
        with pytest.raises(InvalidArgument, match="Invalid"):
            call()


def test_write_bytes_needs_a_file_name(repo: ArtifactRepo) -> None:
    with pytest.raises(InvalidArgument, match="artifact_file"):
        repo.write_bytes("", b"x")
