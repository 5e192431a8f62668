"""The database stops a search that runs past RUNWELL_SEARCH_TIMEOUT_S (issue 19, item 3).

- ``search_transaction`` and ``bounded_cursor`` put the limit on PostgreSQL, MariaDB and
  SQLite statements, answer a 400 that names it, and leave no limit on the pooled session;
- every search (runs, experiments, registered models, model versions, logged models) over
  data that makes a one-comparison filter slow is stopped with that 400 on PostgreSQL and
  MariaDB, while quick searches still answer.

A search whose client has gone is stopped at once: tests/security/test_search_cancel.py.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from runwell import env
from runwell.errors import InvalidArgument
from runwell.store.sql.engine import get_engine
from runwell.store.sql.raw import RawConnections
from runwell.store.sql.search_timeout import bounded_cursor, search_transaction
from tests.security.conftest import Searches
from tests.security.slow_data import QUICK_FILTERS, SLOW_FILTERS, SLOW_SQL, dialect_of

MESSAGE = r"took longer than 0\.2 s \(RUNWELL_SEARCH_TIMEOUT_S\).*narrow the filter"


def _session_limit(conn: sa.Connection) -> str:
    """The time limit a connection's session has now, as the server shows it."""
    name = dialect_of(conn.engine)
    if name == "postgresql":
        return str(conn.exec_driver_sql("SHOW statement_timeout").scalar())
    if name == "mysql":
        return str(conn.exec_driver_sql("SELECT @@session.max_statement_time").scalar())
    return "none"


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "0.2")


def test_a_slow_statement_in_a_search_transaction_is_stopped(
    backend_url: str, short_timeout: None
) -> None:
    engine = get_engine(backend_url)
    with engine.connect() as conn:
        default = _session_limit(conn)
    began = time.perf_counter()
    with pytest.raises(InvalidArgument, match=MESSAGE), search_transaction(engine, "runs") as conn:
        conn.exec_driver_sql(SLOW_SQL[dialect_of(engine)]).all()
    assert time.perf_counter() - began < 2.0
    # Every pooled session is as it was: the limit belongs to searches only.
    sessions = [engine.connect() for _ in range(3)]
    try:
        assert {_session_limit(conn) for conn in sessions} == {default}
    finally:
        for conn in sessions:
            conn.close()


def test_a_slow_statement_on_a_bounded_driver_cursor_is_stopped(
    backend_url: str, short_timeout: None
) -> None:
    engine = get_engine(backend_url)
    raw = RawConnections(engine)
    began = time.perf_counter()

    def search() -> None:
        with (
            raw.read() as driver_cursor,
            bounded_cursor(driver_cursor, engine, "model versions") as cursor,
        ):
            cursor.execute(SLOW_SQL[dialect_of(engine)])
            cursor.fetchall()

    with pytest.raises(InvalidArgument, match=MESSAGE):
        search()
    assert time.perf_counter() - began < 2.0
    with raw.read() as cursor:  # the same driver session, unbounded again
        cursor.execute("SELECT 1")
        assert [tuple(row) for row in cursor.fetchall()] == [(1,)]


def test_the_limit_is_what_runwell_search_timeout_s_says(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = get_engine(server_url)
    with engine.connect() as conn:
        default = _session_limit(conn)
    shown = {"postgresql": "2500ms", "mysql": "2.5"}[dialect_of(engine)]
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "2.5")
    with search_transaction(engine, "runs") as conn:
        assert _session_limit(conn) == shown
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "0")  # no bound at all
    with search_transaction(engine, "runs") as conn:
        assert _session_limit(conn) == default


def test_runwell_search_timeout_s_defaults_to_30_and_refuses_nonsense(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(env.SEARCH_TIMEOUT_S, raising=False)
    assert env.search_timeout_s() == 30.0
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "0.25")
    assert env.search_timeout_s() == 0.25
    for value in ("-1", "soon", "nan", "inf"):
        monkeypatch.setenv(env.SEARCH_TIMEOUT_S, value)
        with pytest.raises(InvalidArgument, match="RUNWELL_SEARCH_TIMEOUT_S"):
            env.search_timeout_s()


# --- every search, end to end ------------------------------------------------------------------


@pytest.mark.parametrize("search", SLOW_FILTERS)
def test_every_search_is_stopped_past_the_timeout_and_quick_ones_answer(
    slow_searches: Searches, search: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "0.2")
    began = time.perf_counter()
    response = slow_searches.call(search, SLOW_FILTERS[search])
    elapsed = time.perf_counter() - began
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "took longer than 0.2 s (RUNWELL_SEARCH_TIMEOUT_S)" in response.json()["message"]
    # MariaDB looks at the limit between rows, and one of these rows costs up to ~0.5 s.
    assert elapsed < 5.0, elapsed
    assert slow_searches.call(search, QUICK_FILTERS[search]).status_code == 200
