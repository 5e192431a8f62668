"""Streamed downloads under ``--auth`` complete for a user who may read them (issue 19, 7).

The auth layer reads a checked request's body before the handler runs and hands it on; it
used to answer every later ``receive`` with a disconnect, and a streamed response, which
listens for the disconnect while it sends, then stopped after its first chunk ("incomplete
chunked read" in the browser). A 50 MB file goes up as its owner and comes down as carol, a
non-admin with READ only, through every download route; bytes and hash must match.
"""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from tests.server.auth.conftest import Secured

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
SIZE = 50 * 1024 * 1024


def _download(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> str:
    digest = hashlib.sha256()
    size = 0
    with client.stream("GET", url, params=params) as response:
        assert response.status_code == 200, response.read()[:500]
        for chunk in response.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    assert size == SIZE
    return digest.hexdigest()


@pytest.mark.slow
def test_a_reader_downloads_a_50_mb_artifact_whole_on_every_route(secured: Secured) -> None:
    alice, carol = secured.user("alice"), secured.user("carol")
    created = alice.post(f"{API}/experiments/create", json={"name": "big"})
    exp = created.json()["experiment_id"]
    run = alice.post(f"{API}/runs/create", json={"experiment_id": exp}).json()["run"]["info"]
    run_id = run["run_id"]
    data = os.urandom(SIZE)
    expected = hashlib.sha256(data).hexdigest()
    path = f"{exp}/{run_id}/artifacts/model/weights.bin"
    put = alice.put(f"{PROXY}/{path}", content=data)
    assert put.status_code == 200, put.text
    del data

    assert not secured.store.get_user("carol").is_admin
    routes = [
        ("/get-artifact", {"run_id": run_id, "path": "model/weights.bin"}),
        (f"{PROXY}/{path}", None),
        ("/ajax-api/2.0/runwell/ui/artifacts/raw", {"run_id": run_id, "path": "model/weights.bin"}),
    ]
    for url, params in routes:
        assert _download(carol, url, params) == expected, url
