"""Artifact path safety: a corpus of hostile paths on every artifact route.

Requests are sent with a raw request target (httpx would otherwise resolve ``..`` itself), and
after each one the secret file outside the artifact root must be intact and nothing new may
appear outside the root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell.errors import InvalidArgument
from runwell.server.artifact_paths import safe_artifact_path, safe_file_path
from tests.server.conftest import Live

PROXY = "/api/2.0/mlflow-artifacts/artifacts"

# Raw path suffixes, exactly as they go on the wire.
HOSTILE = [
    "../secret.txt",
    "a/../../secret.txt",
    "..%2fsecret.txt",
    "%2e%2e/secret.txt",
    "%2E%2E%2Fsecret.txt",
    "%252e%252e/secret.txt",
    "%25252e%25252e%25252fsecret.txt",
    "a%2f..%2f..%2fsecret.txt",
    "a/%2e%2e/%2e%2e/secret.txt",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    "%252Fetc%252Fpasswd",
    "C:/Windows/win.ini",
    "c%3A%5CWindows%5Cwin.ini",
    "a%5C..%5C..%5Csecret.txt",
    "..%5csecret.txt",
    "a%00b.txt",
    "a%2500b.txt",
    "a%23b.txt",
    "a%2523..%2fsecret.txt",
    "a%3F..%2fsecret.txt",
    "a%0Ab.txt",
    "..",
    "%2e%2e",
]


def _raw(live: Live, method: str, target: str, content: bytes | None = None) -> httpx.Response:
    request = live.http.build_request(method, live.url + "/", content=content)
    request.extensions["target"] = target.encode("ascii")
    return live.http.send(request)


@pytest.fixture
def guarded(live: Live, tmp_path: Path) -> Live:
    """The live server with a secret beside the artifact root and a file inside it."""
    (tmp_path / "secret.txt").write_text("secret")
    (live.artifacts / "a").mkdir(parents=True)
    (live.artifacts / "a" / "inside.txt").write_text("inside")
    return live


def _outside_snapshot(tmp_path: Path, root: Path) -> set[str]:
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(tmp_path):
        if Path(dirpath) == root or root in Path(dirpath).parents:
            continue
        found.update(os.path.join(dirpath, n) for n in (*dirnames, *filenames))
    return found


def _assert_refused(response: httpx.Response, what: str) -> None:
    assert response.status_code in (400, 404), (what, response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["error_code"] in ("INVALID_PARAMETER_VALUE", "ENDPOINT_NOT_FOUND"), (what, body)


@pytest.mark.parametrize("suffix", HOSTILE)
def test_hostile_paths_are_refused_on_every_route(
    guarded: Live, tmp_path: Path, suffix: str
) -> None:
    live = guarded
    before = _outside_snapshot(tmp_path, live.artifacts)
    calls = [
        ("GET", f"{PROXY}/{suffix}", None),
        ("PUT", f"{PROXY}/{suffix}", b"pwned"),
        ("DELETE", f"{PROXY}/{suffix}", None),
        ("GET", f"{PROXY}?path={suffix}", None),
    ]
    for method, target, content in calls:
        response = _raw(live, method, target, content)
        _assert_refused(response, f"{method} {target}")
    assert (tmp_path / "secret.txt").read_text() == "secret"
    assert (live.artifacts / "a" / "inside.txt").read_text() == "inside"
    assert _outside_snapshot(tmp_path, live.artifacts) == before


@pytest.mark.parametrize("suffix", ["../secret.txt", "%2e%2e/secret.txt", "/etc/passwd", "a%5Cb"])
def test_hostile_paths_on_run_scoped_routes(guarded: Live, suffix: str) -> None:
    live = guarded
    run_id = live.store.create_run("0", "u", 0).info.run_id
    for target in (
        f"/api/2.0/mlflow/artifacts/list?run_id={run_id}&path={suffix}",
        f"/get-artifact?run_id={run_id}&path={suffix}",
    ):
        response = _raw(live, "GET", target)
        assert response.status_code == 400, (target, response.text)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_symlinks_leading_out_of_the_root_are_refused(guarded: Live, tmp_path: Path) -> None:
    live = guarded
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "data.txt").write_text("outside data")
    (live.artifacts / "dirlink").symlink_to(outside, target_is_directory=True)
    (live.artifacts / "filelink.txt").symlink_to(tmp_path / "secret.txt")
    responses = {
        "put through dir link": live.http.put(f"{PROXY}/dirlink/new.txt", content=b"x"),
        "get through dir link": live.http.get(f"{PROXY}/dirlink/data.txt"),
        "get file link": live.http.get(f"{PROXY}/filelink.txt"),
        "put over file link": live.http.put(f"{PROXY}/filelink.txt", content=b"x"),
        "list dir link": live.http.get(PROXY, params={"path": "dirlink"}),
        "delete through dir link": live.http.delete(f"{PROXY}/dirlink/data.txt"),
    }
    for what, response in responses.items():
        assert response.status_code == 400, (what, response.text)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE", what
    assert not (outside / "new.txt").exists()
    assert (outside / "data.txt").read_text() == "outside data"
    assert (tmp_path / "secret.txt").read_text() == "secret"


def test_ordinary_names_with_dots_and_percent_signs_are_kept() -> None:
    assert safe_file_path("model/v1.2/data..bin") == "model/v1.2/data..bin"
    assert safe_file_path("100%25.txt") == "100%.txt"
    assert safe_file_path(".hidden/x") == ".hidden/x"
    assert safe_artifact_path("a/./b/") == "a/b"
    assert safe_artifact_path("", allow_root=True) == ""
    assert safe_artifact_path(None, allow_root=True) == ""


@pytest.mark.parametrize(
    "raw",
    [
        "a/../b",
        "..",
        "/abs",
        "C:x",
        "a\\b",
        "a\x00b",
        "a#b",
        "a?b",
        "%2e%2e",
        "%" + "25" * 9 + "2e",
    ],
)
def test_safe_artifact_path_refuses(raw: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid path"):
        safe_artifact_path(raw)


def test_file_paths_must_name_a_file() -> None:
    for raw in ("", "dir/", "."):
        with pytest.raises(InvalidArgument):
            safe_file_path(raw)
