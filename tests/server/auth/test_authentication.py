"""Signing in with ``--auth``: Basic, bearer tokens, the browser session; no default account."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from runwell.errors import InvalidArgument, InvalidState
from runwell.server.auth import AuthService
from runwell.server.auth.service import create_user
from runwell.server.auth.throttle import FREE_FAILURES
from runwell.store.sql.auth import SqlAuthStore
from tests.server.auth.conftest import ADMIN, PASSWORD, Secured

SEARCH = "/api/2.0/mlflow/experiments/search"


def _search(client: httpx.Client) -> httpx.Response:
    return client.post(SEARCH, json={"max_results": 10})


def test_requests_without_credentials_get_401_with_the_error_envelope(secured: Secured) -> None:
    response = _search(secured.client())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert secured.client().get("/health").text == "OK"


def test_basic_credentials_sign_in_and_wrong_ones_do_not(secured: Secured) -> None:
    assert _search(secured.admin).status_code == 200
    secured.user("bob")
    assert _search(secured.client("bob")).status_code == 200
    for username, password in (("bob", "wrong-password-123"), ("nobody", PASSWORD)):
        response = _search(secured.client(username, password))
        assert response.status_code == 401, response.text
        assert response.json()["message"] == "Invalid username or password."
    garbage = secured.client(headers={"Authorization": "Basic !!!notbase64"})
    assert _search(garbage).status_code == 401
    other = secured.client(headers={"Authorization": "Digest abc"})
    assert _search(other).status_code == 401


def test_passwords_are_stored_as_argon2_hashes_and_need_a_minimum_length(
    secured: Secured,
) -> None:
    secured.user("carol")
    engine = secured.store.engine
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM auth_users")).scalars().all()
    assert all(h.startswith("$argon2id$") for h in stored)
    assert not any(PASSWORD in h for h in stored)
    response = secured.admin.post(
        "/api/2.0/mlflow/users/create", json={"username": "dave", "password": "short"}
    )
    assert response.status_code == 400
    assert "at least 12 characters" in response.json()["message"]
    with pytest.raises(InvalidArgument, match="':'"):
        create_user(secured.store, "a:b", PASSWORD)


def test_tokens_are_shown_once_stored_hashed_listed_and_revoked(secured: Secured) -> None:
    alice = secured.user("alice")
    created = alice.post("/api/2.0/runwell/tokens/create", json={"name": "ci"}).json()
    secret = created["secret"]
    assert secret.startswith("rwt_") and len(secret) > 40
    bearer = secured.token_client(secret)
    assert _search(bearer).status_code == 200
    me = bearer.get("/api/2.0/runwell/users/current").json()["user"]
    assert me["username"] == "alice"
    listed = alice.get("/api/2.0/runwell/tokens/list").json()["tokens"]
    assert [t["name"] for t in listed] == ["ci"]
    assert secret not in str(listed)
    with secured.store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT token_hash, prefix FROM auth_tokens")).all()
    assert all(secret not in str(tuple(row)) for row in rows)
    revoke = alice.request(
        "DELETE", "/api/2.0/runwell/tokens/revoke", json={"token_id": created["token"]["id"]}
    )
    assert revoke.status_code == 200, revoke.text
    assert _search(bearer).status_code == 401
    assert _search(secured.token_client("rwt_made-up")).status_code == 401


def test_another_users_token_cannot_be_revoked(secured: Secured) -> None:
    alice, bob = secured.user("alice"), secured.user("bob")
    created = alice.post("/api/2.0/runwell/tokens/create", json={}).json()
    token_id = created["token"]["id"]
    revoke = bob.request("DELETE", "/api/2.0/runwell/tokens/revoke", json={"token_id": token_id})
    assert revoke.status_code == 404
    other = bob.request(
        "DELETE",
        "/api/2.0/runwell/tokens/revoke",
        json={"token_id": token_id, "username": "alice"},
    )
    assert other.status_code == 403
    assert _search(secured.token_client(created["secret"])).status_code == 200


def test_repeated_failures_hold_the_address_back_but_not_an_account_known_there(
    secured: Secured,
) -> None:
    assert _search(secured.admin).status_code == 200  # admin has signed in from here
    secured.user("erin")
    wrong = secured.client("erin", "not-the-password")
    for _ in range(FREE_FAILURES):
        assert _search(wrong).status_code == 401
    held = _search(secured.client("erin"))
    assert held.status_code == 429
    assert held.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "Too many failed sign-ins" in held.json()["message"]
    assert int(held.headers["retry-after"]) >= 1
    secured.service.authenticator.forget()  # no cached sign-in: the password is checked
    assert _search(secured.admin).status_code == 200


def test_no_default_credentials_the_first_admin_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template_db: Path
) -> None:
    import shutil

    path = tmp_path / "fresh.db"
    shutil.copyfile(template_db, path)
    url = f"sqlite:///{path}"
    monkeypatch.delenv("RUNWELL_AUTH_ADMIN_USERNAME", raising=False)
    with pytest.raises(InvalidState, match="runwell auth create-admin"):
        AuthService.open(url)
    assert SqlAuthStore(url).count_users() == 0
    monkeypatch.setenv("RUNWELL_AUTH_ADMIN_USERNAME", "root")
    monkeypatch.setenv("RUNWELL_AUTH_ADMIN_PASSWORD", "short")
    with pytest.raises(InvalidArgument, match="too short"):
        AuthService.open(url)
    monkeypatch.setenv("RUNWELL_AUTH_ADMIN_PASSWORD", "a-good-admin-password")
    service = AuthService.open(url)
    admin = service.store.get_user("root")
    assert admin.is_admin
    AuthService.open(url)  # a second start (another worker) changes nothing
    assert service.store.count_users() == 1


def test_the_browser_signs_in_on_the_login_page_and_gets_a_session_cookie(
    secured: Secured,
) -> None:
    browser = secured.client(follow_redirects=False)
    page = browser.get(
        "/api/2.0/mlflow/experiments/get?experiment_id=0", headers={"Accept": "text/html"}
    )
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")
    form = browser.get("/login")
    assert form.status_code == 200 and "<form" in form.text
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    bad = browser.post("/login", data={"username": ADMIN[0], "password": "nope-nope-nope"})
    assert bad.status_code == 401 and "Invalid username or password" in bad.text
    good = browser.post(
        "/login", data={"username": ADMIN[0], "password": ADMIN[1], "next": "/docs"}
    )
    assert good.status_code == 303 and good.headers["location"] == "/docs"
    cookie = good.headers["set-cookie"]
    assert "runwell_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert browser.get("/api/2.0/mlflow/experiments/get?experiment_id=0").status_code == 200
    # A state change carried by the cookie needs the page's CSRF token.
    refused = browser.post(SEARCH, json={"max_results": 1})
    assert refused.status_code == 403
    browser.cookies.set("runwell_csrf", "t0ken")
    allowed = browser.post(SEARCH, json={"max_results": 1}, headers={"X-Runwell-CSRF": "t0ken"})
    assert allowed.status_code == 200, allowed.text
    out = browser.post("/logout", headers={"X-Runwell-CSRF": "t0ken"})
    assert out.status_code == 303
    assert browser.get("/api/2.0/mlflow/experiments/get?experiment_id=0").status_code == 401


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_the_server(secured: Secured, target: str) -> None:
    browser = secured.client(follow_redirects=False)
    done = browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1], "next": target})
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    page = browser.get("/login", params={"next": target})
    assert "evil" not in page.text and "javascript" not in page.text
