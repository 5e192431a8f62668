"""S3 at scale: more keys than one listing page, and a file far larger than its memory budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runwell.store import uri as uris
from tests.s3.conftest import S3Bucket

MANY = 1_050  # S3 answers at most 1,000 keys per listing page and deletes 1,000 per request


@pytest.mark.slow
def test_more_than_one_page_of_keys_is_listed_downloaded_and_deleted(
    s3: S3Bucket, tmp_path: Path
) -> None:
    source = tmp_path / "many"
    (source / "sub").mkdir(parents=True)
    names = [f"f{i:04d}.txt" for i in range(MANY)]
    for name in names:
        (source / name).write_text(name)
    (source / "sub" / "inner.txt").write_text("inner")
    repo = uris.artifact_repo(s3.uri("exp/run/artifacts"))
    repo.log_artifacts(str(source), "many")
    repo.write_bytes("many-siblings.txt", b"outside the directory, same key prefix")

    listing = repo.list_artifacts("many")
    assert [f.path for f in listing] == [f"many/{n}" for n in names] + ["many/sub"]
    assert [f.is_dir for f in listing].count(True) == 1
    assert {f.file_size for f in listing if not f.is_dir} == {9}
    assert [f.path for f in repo.list_artifacts()] == ["many", "many-siblings.txt"]

    copied = Path(repo.download_artifacts("many", str(tmp_path / "dl")))
    assert len(list(copied.glob("*.txt"))) == MANY
    assert (copied / "f1049.txt").read_text() == "f1049.txt"

    repo.delete_artifacts("many")
    assert s3.keys() == ["exp/run/artifacts/many-siblings.txt"]


@pytest.mark.slow
def test_a_large_file_goes_multipart_and_streams_back_with_flat_memory(
    s3: S3Bucket, tmp_path: Path
) -> None:
    size_mib = 192
    root = s3.uri("exp/run/artifacts")
    done = subprocess.run(
        [sys.executable, "-m", "tests.s3.transfer_probe", root, str(tmp_path), str(size_mib)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["stream_matches"] and report["download_matches"]
    assert report["chunks"] >= size_mib
    # Multipart objects carry an ETag of "<md5 of part md5s>-<part count>".
    head = s3.admin.head_object(Bucket=s3.name, Key="exp/run/artifacts/data/big.bin")
    assert head["ContentLength"] == size_mib << 20
    assert head["ETag"].strip('"').endswith(f"-{size_mib // 16}")
    # Each phase may grow the peak by a bounded working set, never by the file's size.
    baseline = float(report["baseline_mib"])
    for phase in ("after_upload_mib", "after_stream_mib", "after_download_mib"):
        growth = float(report[phase]) - baseline
        assert growth < size_mib / 3, f"{phase}: peak RSS grew {growth:.0f} MiB ({report})"
