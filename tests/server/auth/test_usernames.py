"""Usernames: one canonical form, checked at creation and at sign-in, compared exactly
(issue 19, 5), on every database. MariaDB's PAD SPACE collations made ``victim `` equal
``victim`` in SQL: a padded name signed in as the account and was throttled apart from it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from runwell.server.app import create_app
from runwell.server.auth import AuthService
from runwell.server.auth.service import create_user
from runwell.server.auth.throttle import FREE_FAILURES
from runwell.store.sql.auth import SqlAuthStore
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve
from tests.server.auth.conftest import ADMIN, PASSWORD, Secured
from tests.server.conftest import Live

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"
CREATE = "/api/2.0/mlflow/users/create"


@pytest.fixture
def on_db(db_url: str, tmp_path: Path) -> Iterator[Secured]:
    """A live ``--auth`` server over each database (SQLite, PostgreSQL, MariaDB)."""
    with ExitStack() as stack:
        store = SqlTrackingStore(db_url, "mlflow-artifacts:")
        create_user(SqlAuthStore(db_url), *ADMIN, is_admin=True)
        service = AuthService.open(db_url)
        # The throttle's clock stands still: a back-off held while a loaded machine runs the
        # next request stays held (1 s waits otherwise expire between two slow requests).
        frozen = service.authenticator.throttle.clock()
        service.authenticator.throttle.clock = lambda: frozen
        artifacts = tmp_path / "artifacts"
        app = create_app(store, auth=service, artifacts_destination=str(artifacts))
        base = stack.enter_context(serve(app))
        http = stack.enter_context(httpx.Client(base_url=base, timeout=30))
        live = Live(url=base, store=store, artifacts=artifacts, http=http)
        yield Secured(live, service, stack, app)


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _from(address: str, server: Secured) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return server.stack.enter_context(
        httpx.Client(base_url=server.url, transport=transport, timeout=30)
    )


def _throttle_rows(server: Secured) -> dict[str, int]:
    with server.store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT scope, COUNT(*) FROM auth_throttle GROUP BY scope"))
        return {str(scope): int(n) for scope, n in rows}


@pytest.mark.parametrize(
    "name",
    [" victim", "victim ", "victim\t", "\u00a0victim", "victim\u3000", "vic\u200btim", "a\nb"],
)
def test_names_with_surrounding_or_invisible_blanks_are_refused_naming_the_field(
    on_db: Secured, name: str
) -> None:
    refused = on_db.admin.post(CREATE, json={"username": name, "password": PASSWORD})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'username'" in refused.json()["message"]
    assert [u.username for u in on_db.store.list_users()] == [ADMIN[0]]


def test_one_canonical_form_and_no_two_names_that_differ_only_by_case(on_db: Secured) -> None:
    decomposed = "Jose\u0301"  # NFD: e + combining acute
    created = on_db.admin.post(CREATE, json={"username": decomposed, "password": PASSWORD})
    assert created.status_code == 200, created.text
    assert created.json()["user"]["username"] == "Jos\u00e9"  # stored in NFC
    for twin in ("Jos\u00e9", decomposed, "JOS\u00c9", "Admin"):
        again = on_db.admin.post(CREATE, json={"username": twin, "password": PASSWORD})
        assert again.status_code == 400, (twin, again.text)
        assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    # Sign-in brings the name to NFC too; case is compared exactly.
    assert on_db.client().get(SEARCH, headers=_basic(decomposed, PASSWORD)).status_code == 200
    assert on_db.client().get(SEARCH, headers=_basic("jos\u00e9", PASSWORD)).status_code == 401


def test_a_padded_name_never_signs_in_nor_counts_as_another_account(on_db: Secured) -> None:
    on_db.user("victim")
    assert on_db.store.find_user("victim ") is None
    attacker = _from("127.0.0.2", on_db)
    answers = []
    for pad in range(1, 2 * FREE_FAILURES + 1):
        # The right password: only the name is off, by trailing spaces.
        answers.append(attacker.get(SEARCH, headers=_basic("victim" + " " * pad, PASSWORD)))
    codes = [a.status_code for a in answers]
    assert 200 not in codes
    assert codes == [401] * FREE_FAILURES + [429] * FREE_FAILURES
    browser = _from("127.0.0.5", on_db)
    form = browser.post("/login", data={"username": "victim ", "password": PASSWORD})
    assert form.status_code == 401 and "Invalid username or password" in form.text
    # Counted against the addresses only: no account or pair rows for the padded names.
    assert _throttle_rows(on_db) == {"address": 2}
    owner = _from("127.0.0.3", on_db)
    assert owner.get(SEARCH, headers=_basic("victim", PASSWORD)).status_code == 200


def test_a_locked_name_stays_locked_whatever_padding_is_tried(on_db: Secured) -> None:
    on_db.user("victim")
    attacker = _from("127.0.0.4", on_db)
    for _ in range(FREE_FAILURES):
        wrong = attacker.get(SEARCH, headers=_basic("victim", "wrong-password-1"))
        assert wrong.status_code == 401
    # Held back (1 s): the real name with the right password, then padded twins of it. A
    # padded name is never the account: it is refused (429 while held, 401 after).
    assert attacker.get(SEARCH, headers=_basic("victim", PASSWORD)).status_code == 429
    for name in ("victim ", "victim  ", " victim", "victim\t"):
        held = attacker.get(SEARCH, headers=_basic(name, PASSWORD))
        assert held.status_code in (401, 429), (name, held.text)
    assert _throttle_rows(on_db).get("account") == 1  # victim's, none for the twins
    owner = _from("127.0.0.6", on_db)
    assert owner.get(SEARCH, headers=_basic("victim", PASSWORD)).status_code == 200
