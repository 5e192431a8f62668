"""Large artifacts stream through the server in bounded memory (a 200 MB round trip)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.cli_process import run_server

SIZE = 200 * 1024 * 1024
CHUNK = 1024 * 1024
# Far below the file size: buffering it anywhere would blow through this.
MAX_GROWTH_KIB = 64 * 1024


def _body(digest: hashlib._Hash) -> Iterator[bytes]:
    block = bytes(range(256)) * (CHUNK // 256)
    for index in range(SIZE // CHUNK):
        chunk = index.to_bytes(8, "big") + block[8:]
        digest.update(chunk)
        yield chunk


@pytest.mark.slow
def test_200_mb_upload_and_download_keep_server_memory_flat(tmp_path: Path) -> None:
    with run_server(tmp_path) as server:
        url = server.url + "/api/2.0/mlflow-artifacts/artifacts/big/blob.bin"
        with httpx.Client(timeout=120) as http:
            http.put(server.url + "/api/2.0/mlflow-artifacts/artifacts/warm.txt", content=b"w")
            assert http.get(server.url + "/api/2.0/mlflow-artifacts/artifacts/warm.txt").content
            baseline = server.rss_kib()
            sent = hashlib.sha256()
            response = http.put(url, content=_body(sent))
            assert response.status_code == 200, response.text
            received = hashlib.sha256()
            size = 0
            with http.stream("GET", url) as download:
                assert download.status_code == 200
                for chunk in download.iter_bytes():
                    received.update(chunk)
                    size += len(chunk)
            peak = server.peak_rss_kib()
    assert size == SIZE
    assert received.hexdigest() == sent.hexdigest()
    stored = tmp_path / "runwell-artifacts" / "big" / "blob.bin"
    assert stored.stat().st_size == SIZE
    assert [p.name for p in stored.parent.iterdir()] == ["blob.bin"]
    assert peak - baseline < MAX_GROWTH_KIB, (baseline, peak)
