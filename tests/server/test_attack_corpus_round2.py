"""The attack corpus, round two (issue 19): requests an outside red team turned into 500s.

- JSON nested 65 to 100,000 levels deep (arrays, objects, and JSON inside a JSON string), sent
  to every operation of the OpenAPI document under ``/api`` and ``/ajax-api``;
- integers past the signed 64-bit range in search filters (``attributes.start_time >
  9223372036854775808`` reached SQLite's driver and overflowed), on every search;
- an artifact upload onto a full disk (a 1 MiB tmpfs mounted here): 503 with a clear message,
  and nothing partial left behind.

Every case must answer 4xx (the full disk 503), never any other 5xx.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runwell.errors import Unavailable
from runwell.store.artifacts.local import LocalArtifactRepo
from tests.server.conftest import Live, StartLive

API = "/mlflow"  # Live.call adds /api/2.0
RAW = "/api/2.0/mlflow"
DEPTHS = (65, 1000, 100_000)
INT64_MAX = 2**63 - 1


def deep_bodies(depth: int) -> dict[str, bytes]:
    """Bodies whose JSON nests ``depth`` levels in all (the outer object counts)."""
    inner = depth - 1
    return {
        "arrays": ('{"name": ' + "[" * inner + "]" * inner + ', "experiment_id": "0"}').encode(),
        "objects": ('{"name": ' + '{"a":' * inner + "1" + "}" * inner + "}").encode(),
        "top-level": ("[" * depth + "]" * depth).encode(),
        "json-in-a-string": ('"' + '{\\"a\\":' * depth + "1" + "}" * depth + '"').encode(),
    }


def operations(live: Live) -> list[tuple[str, str, bool]]:
    """Every operation of the server's OpenAPI document: (method, path, takes a JSON body)."""
    document = live.http.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "delete"):
                concrete = path.replace("{artifact_path}", "0/x").replace("{model_id}", "m-0")
                concrete = concrete.replace("{tag_key}", "k")
                found.append((method.upper(), concrete, "requestBody" in operation))
    return found


def test_deep_json_is_a_400_on_every_operation(live: Live) -> None:
    ops = operations(live)
    assert len(ops) > 60  # the walk saw the whole API
    json_ops = {(method, path) for method, path, takes_json in ops if takes_json}
    assert len(json_ops) > 40
    sent = 0
    refused: set[tuple[str, str]] = set()
    for depth in (64, *DEPTHS):
        for kind, body in deep_bodies(depth).items():
            for method, path, _ in ops:
                for target in (path, "/ajax-api" + path.removeprefix("/api")):
                    response = live.http.request(
                        method, target, content=body, headers={"content-type": "application/json"}
                    )
                    sent += 1
                    status = response.status_code
                    # 501: presigned URLs are not offered (MLflow's answer), whatever the body
                    assert status < 500 or (
                        status == 501 and response.json()["error_code"] == "NOT_IMPLEMENTED"
                    ), (depth, kind, method, target, response.text)
                    nested = "nested more than 64 levels" in response.text
                    if depth == 64:
                        assert not nested, (kind, method, target, response.text)
                    elif nested and kind != "top-level":  # a bare array is refused as such
                        refused.add((method, path))
    assert sent == 4 * 4 * len(ops) * 2
    # Every operation that reads a JSON body refused them (the presigned-URL routes refuse
    # before reading theirs).
    presigned = {(m, p) for m, p in json_ops if "presigned" in p}
    assert json_ops - presigned <= refused, sorted(json_ops - presigned - refused)
    # and nothing was created by any of them
    experiments = live.ok("POST", f"{API}/experiments/search", {"max_results": 100})
    assert [e["name"] for e in experiments["experiments"]] == ["Default"]


def _search_cases(live: Live) -> list[tuple[str, str, dict[str, Any], str]]:
    experiment = live.ok("POST", f"{API}/experiments/create", {"name": "e"})["experiment_id"]
    live.ok("POST", f"{API}/registered-models/create", {"name": "m"})
    cases: list[tuple[str, str, dict[str, Any], str]] = []
    for value in (str(INT64_MAX + 1), str(-(2**63) - 1), "99999999999999999999999", "1" * 400):
        for attribute in ("start_time", "end_time"):
            filter_ = f"attributes.{attribute} > {value}"
            body: dict[str, Any] = {"experiment_ids": [experiment], "filter": filter_}
            cases.append(("POST", f"{RAW}/runs/search", body, attribute))
        for attribute in ("creation_time", "last_update_time"):
            body = {"filter": f"{attribute} < {value}", "max_results": 10}
            cases.append(("POST", f"{RAW}/experiments/search", body, attribute))
        for attribute in ("creation_timestamp", "last_updated_timestamp"):
            body = {"experiment_ids": [experiment], "filter": f"{attribute} >= {value}"}
            cases.append(("POST", f"{RAW}/logged-models/search", body, attribute))
        params = {"filter": f"version_number > {value}"}
        cases.append(("GET", f"{RAW}/model-versions/search", params, "version_number"))
    return cases


def test_integers_past_64_bits_in_search_filters_are_a_400(live: Live) -> None:
    cases = _search_cases(live)
    for method, path, body, attribute in cases:
        kwargs: dict[str, Any] = {"params": body} if method == "GET" else {"json": body}
        response = live.http.request(method, path, **kwargs)
        assert response.status_code == 400, (path, body, response.text)
        message = response.json()["message"]
        assert attribute in message and "signed 64-bit range" in message, message
    assert len(cases) == 28
    # the limits themselves are fine
    for value in (INT64_MAX, -(2**63)):
        filter_ = f"attributes.start_time < {value}"
        live.ok("POST", f"{API}/runs/search", {"experiment_ids": ["0"], "filter": filter_})


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for this test (needs root, as in CI's container)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here: {mounted.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI runs this test as root)")
        pytest.skip(reason)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _entries(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_an_upload_onto_a_full_disk_is_a_503_and_leaves_nothing(
    start_live: StartLive, tiny_disk: Path
) -> None:
    live = start_live(artifacts_destination=str(tiny_disk))
    url = "/api/2.0/mlflow-artifacts/artifacts"
    first = os.urandom(600 * 1024)
    assert live.http.put(f"{url}/1/a/first.bin", content=first).status_code == 200
    before = _entries(tiny_disk)

    attempts = [
        f"{url}/1/a/second.bin",  # beside the first file
        f"{url}/2/run/artifacts/deep/second.bin",  # in directories the upload creates
        f"{url}/1/a/first.bin",  # replacing the first file
    ]
    for target in attempts:
        response = live.http.put(target, content=os.urandom(700 * 1024))
        assert response.status_code == 503, (target, response.text)
        payload = response.json()
        assert payload["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "no space left" in payload["message"].lower()
        assert "nothing was stored" in payload["message"]
        assert _entries(tiny_disk) == before  # no .tmp- file, no new directory
    assert (tiny_disk / "1" / "a" / "first.bin").read_bytes() == first

    # once space is freed the same server stores the upload
    assert live.http.delete(f"{url}/1/a/first.bin").status_code == 200
    assert live.http.put(attempts[1], content=b"x" * 700 * 1024).status_code == 200
    assert (tiny_disk / "2" / "run" / "artifacts" / "deep" / "second.bin").stat().st_size == (
        700 * 1024
    )


def test_the_local_artifact_store_on_a_full_disk_raises_unavailable(
    tiny_disk: Path, tmp_path: Path
) -> None:
    repo = LocalArtifactRepo(str(tiny_disk))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    with pytest.raises(Unavailable, match="No space left to store artifacts"):
        repo.log_artifact(str(big), "run/artifacts")
    with pytest.raises(Unavailable, match="No space left"):
        repo.write_bytes("x/big.bin", big.read_bytes())
    assert not list(tiny_disk.rglob(".tmp-*"))
    assert not list(tiny_disk.rglob("*.bin"))
