"""The database stops a search that runs past RUNWELL_SEARCH_TIMEOUT_S (issue 19, item 3).

- ``search_transaction`` and ``bounded_cursor`` put the limit on PostgreSQL, MariaDB and
  SQLite statements, answer a 400 that names it, and leave no limit on the pooled session;
- every search (runs, experiments, registered models, model versions, logged models) over
  data that makes a one-comparison filter slow is stopped with that 400 on PostgreSQL and
  MariaDB, while quick searches still answer;
- a search whose client has gone stops in the database within the limit (the red team's
  500-comparison search ran on in PostgreSQL after client and server had gone).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from runwell import env
from runwell.entities import ExperimentTag, LoggedModelTag, RunTag
from runwell.entities.registry import ModelVersionTag, RegisteredModelTag
from runwell.errors import InvalidArgument
from runwell.server.app import create_app
from runwell.store.registry_uri import forget_registry_stores
from runwell.store.sql.engine import get_engine
from runwell.store.sql.raw import RawConnections
from runwell.store.sql.registry import SqlRegistryStore
from runwell.store.sql.search_timeout import bounded_cursor, search_transaction
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve
from tests.security.conftest import Searches

# A statement that runs for seconds on each backend (SQLite counts to 10^8).
SLOW_SQL = {
    "postgresql": "SELECT pg_sleep(5)",
    "mysql": "SELECT SLEEP(5)",
    "sqlite": (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000000) "
        "SELECT count(*) FROM n"
    ),
}
MESSAGE = r"took longer than 0\.2 s \(RUNWELL_SEARCH_TIMEOUT_S\).*narrow the filter"


def _dialect(engine: sa.Engine) -> str:
    return "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name


def _session_limit(conn: sa.Connection) -> str:
    """The time limit a connection's session has now, as the server shows it."""
    name = _dialect(conn.engine)
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
        conn.exec_driver_sql(SLOW_SQL[_dialect(engine)]).all()
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
            cursor.execute(SLOW_SQL[_dialect(engine)])
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
    shown = {"postgresql": "2500ms", "mysql": "2.5"}[_dialect(engine)]
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

# LIKE costs a database about (value length x pattern length): one '%' before a long literal
# that never matches makes each compared value cost milliseconds to a second.
RUN_VALUE, RUN_PATTERN = "a" * 8_000, "%" + "a" * 4_000 + "b"
LONG_VALUE, LONG_PATTERN = "a" * 20_000, "%" + "a" * 9_000 + "b"
SLOW_FILTERS = {
    "runs": f"tags.t LIKE '{RUN_PATTERN}'",
    "experiments": f"tags.k LIKE '{LONG_PATTERN}'",
    "registered-models": f"tags.k LIKE '{LONG_PATTERN}'",
    "model-versions": f"tags.k LIKE '{LONG_PATTERN}'",
    "logged-models": f"tags.t LIKE '{RUN_PATTERN}'",
}
QUICK_FILTERS = {
    "runs": "tags.t = 'x'",
    "experiments": "name = 'x'",
    "registered-models": "name = 'x'",
    "model-versions": "name = 'x'",
    "logged-models": "name = 'x'",
}


@pytest.fixture
def slow_searches(server_url: str, tmp_path: Path) -> Iterator[Searches]:
    """A server whose stored values make a LIKE on them slow, for every search."""
    tracking = SqlTrackingStore(server_url, (tmp_path / "artifacts").as_uri())
    registry = SqlRegistryStore(server_url)
    experiment = tracking.create_experiment("slow").experiment_id
    first = None
    for i in range(60):
        tags = [RunTag(key="t", value=RUN_VALUE)]
        run = tracking.create_run(experiment, "u", 1000 + i, tags=tags)
        first = first or run.info
        tracking.create_logged_model(
            experiment, name=f"lm-{i}", tags=[LoggedModelTag(key="t", value=RUN_VALUE)]
        )
    assert first is not None
    for i in range(8):
        tracking.create_experiment(f"e-{i}", tags=[ExperimentTag(key="k", value=LONG_VALUE)])
        registry.create_registered_model(
            f"model-{i}", tags=[RegisteredModelTag(key="k", value=LONG_VALUE)]
        )
        registry.create_model_version(
            f"model-{i}",
            f"{first.artifact_uri}/model",
            run_id=first.run_id,
            tags=[ModelVersionTag(key="k", value=LONG_VALUE)],
        )
    with (
        serve(create_app(tracking)) as url,
        httpx.Client(base_url=url, timeout=120) as http,
    ):
        yield Searches(url, http, tracking, registry, experiment)
    forget_registry_stores()  # see tests/security/conftest.py


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


def _running(url: str) -> int:
    """Statements running now in the database of ``url`` (other than the one asking)."""
    engine = get_engine(url)
    database = engine.url.database
    with engine.connect() as conn:
        if _dialect(engine) == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND pid <> pg_backend_pid()"
            )
        else:
            query = (
                "SELECT count(*) FROM information_schema.processlist WHERE db = %s "
                "AND command = 'Query' AND id <> connection_id()"
            )
        return int(conn.exec_driver_sql(query, (database,)).scalar_one())


def test_a_search_whose_client_left_stops_within_the_limit(
    slow_searches: Searches, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "1")
    with httpx.Client(base_url=slow_searches.url, timeout=0.3) as impatient:
        with pytest.raises(httpx.TimeoutException):
            impatient.get(
                "/api/2.0/mlflow/registered-models/search",
                params={"filter": SLOW_FILTERS["registered-models"]},
            )
    assert _running(server_url) >= 1  # the search goes on after its client left...
    deadline = time.monotonic() + 5.0
    while _running(server_url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(server_url) == 0  # ...until the database stops it
