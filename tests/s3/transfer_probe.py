"""Moves one large file through S3ArtifactRepo and reports the process's peak memory, as JSON.

Run as ``python -m tests.s3.transfer_probe ROOT_URI WORK_DIR SIZE_MIB`` with the S3 environment
set. It runs in its own process so that the peak resident set size (``ru_maxrss``) measures this
transfer alone, not whatever the test session did before. The file is written, uploaded,
streamed back with ``read_chunks`` and downloaded, each checked by SHA-256; the peak is read
after each phase.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
from pathlib import Path

from runwell.store import uri as uris

_MiB = 1 << 20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _write_file(path: Path, size_mib: int) -> str:
    digest = hashlib.sha256()
    block = hashlib.sha256(b"seed").digest() * (_MiB // 32)
    with path.open("wb") as handle:
        for index in range(size_mib):
            chunk = index.to_bytes(8, "big") + block[8:]  # no two blocks alike
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_MiB):
            digest.update(chunk)
    return digest.hexdigest()


def main(root_uri: str, work_dir: str, size_mib: int) -> dict[str, object]:
    work = Path(work_dir)
    source = work / "big.bin"
    expected = _write_file(source, size_mib)
    repo = uris.artifact_repo(root_uri)
    repo.list_artifacts()  # load boto3 and open a connection before the baseline
    report: dict[str, object] = {"baseline_mib": _peak_mib()}
    repo.log_artifact(str(source), "data")
    report["after_upload_mib"] = _peak_mib()
    digest = hashlib.sha256()
    chunks = 0
    for chunk in repo.read_chunks("data/big.bin", chunk_size=_MiB):
        digest.update(chunk)
        chunks += 1
    report["after_stream_mib"] = _peak_mib()
    report["stream_matches"] = digest.hexdigest() == expected
    report["chunks"] = chunks
    downloaded = repo.download_artifacts("data/big.bin", str(work / "dl"))
    report["after_download_mib"] = _peak_mib()
    report["download_matches"] = _file_sha(Path(downloaded)) == expected
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
