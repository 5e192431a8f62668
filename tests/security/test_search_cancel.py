"""A search whose client has gone is stopped in the database (issue 19, item 3).

The red team's 500-comparison search ran on in PostgreSQL after client and server had gone.
Now the server stops a search's statements as soon as its connection closes, on PostgreSQL,
MariaDB and SQLite, for all five REST searches, long before the search timeout would.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from runwell import env
from runwell.errors import ErrorCode, RunwellError
from runwell.store.cancellation import Cancellation
from runwell.store.sql.engine import get_engine
from runwell.store.sql.raw import RawConnections
from runwell.store.sql.search_timeout import bounded_cursor, search_transaction
from tests.security.conftest import API, Searches
from tests.security.slow_data import QUICK_FILTERS, SLOW_FILTERS, SLOW_SQL, dialect_of, running


@pytest.fixture(params=["30", "0"], ids=["timeout-30s", "no-timeout"])
def long_timeout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The search timeout far away (30 s), or off: only the cancellation can stop a search."""
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, request.param)


def _cancelled_after(seconds: float, search: object) -> tuple[BaseException | None, float]:
    """Run ``search`` in a thread under a cancellation fired after ``seconds``; its error and
    how long it ran after the cancel."""
    cancellation = Cancellation()
    outcome: list[BaseException | None] = []

    def body() -> None:
        with cancellation.running_under():
            try:
                search()  # type: ignore[operator]
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    time.sleep(seconds)
    assert thread.is_alive(), "the statement ended before it could be cancelled"
    cancelled_at = time.perf_counter()
    cancellation.cancel()
    thread.join(10)
    assert not thread.is_alive()
    return outcome[0], time.perf_counter() - cancelled_at


def _assert_cancelled(error: BaseException | None, after: float) -> None:
    assert isinstance(error, RunwellError), repr(error)
    assert error.code is ErrorCode.CANCELLED and error.http_status == 499
    assert "its client closed the connection" in error.message
    assert after < 1.0, after


def test_a_cancelled_search_transaction_stops_its_statement(
    backend_url: str, long_timeout: None
) -> None:
    engine = get_engine(backend_url)

    def search() -> None:
        with search_transaction(engine, "runs") as conn:
            conn.exec_driver_sql(SLOW_SQL[dialect_of(engine)]).all()

    _assert_cancelled(*_cancelled_after(0.3, search))
    with engine.connect() as conn:  # the pool's sessions still work
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_cancelled_bounded_cursor_stops_its_statement(
    backend_url: str, long_timeout: None
) -> None:
    engine = get_engine(backend_url)
    raw = RawConnections(engine)

    def search() -> None:
        with (
            raw.read() as driver_cursor,
            bounded_cursor(driver_cursor, engine, "model versions") as cursor,
        ):
            cursor.execute(SLOW_SQL[dialect_of(engine)])
            cursor.fetchall()

    _assert_cancelled(*_cancelled_after(0.3, search))
    with raw.read() as cursor:
        cursor.execute("SELECT 1")
        assert [tuple(row) for row in cursor.fetchall()] == [(1,)]


def test_a_search_that_was_cancelled_before_it_began_does_not_begin(backend_url: str) -> None:
    engine = get_engine(backend_url)
    cancellation = Cancellation()
    cancellation.cancel()
    with cancellation.running_under(), pytest.raises(RunwellError, match="client closed"):
        with search_transaction(engine, "runs") as conn:
            conn.exec_driver_sql(SLOW_SQL[dialect_of(engine)]).all()


@pytest.mark.parametrize("search", SLOW_FILTERS)
def test_a_search_whose_client_left_is_stopped_at_once(
    slow_searches: Searches, server_url: str, search: str, long_timeout: None
) -> None:
    body: dict[str, object] = {"filter": SLOW_FILTERS[search]}
    if search in ("runs", "logged-models"):
        body["experiment_ids"] = [slow_searches.experiment_id]
    if search == "experiments":
        body["max_results"] = 100
    method = "GET" if search in ("registered-models", "model-versions") else "POST"
    sent = {"params": body} if method == "GET" else {"json": body}
    with httpx.Client(base_url=slow_searches.url, timeout=0.5) as impatient:
        with pytest.raises(httpx.TimeoutException):
            impatient.request(method, f"{API}/{search}/search", **sent)  # type: ignore[arg-type]
    left = time.monotonic()
    while running(server_url) and time.monotonic() - left < 10:
        time.sleep(0.05)
    assert running(server_url) == 0
    assert time.monotonic() - left < 1.5, "the search ran on after its client left"
    # The server and its pool are fine: a quick search answers.
    assert slow_searches.call(search, QUICK_FILTERS[search]).status_code == 200


def test_searches_that_finish_are_not_affected(slow_searches: Searches) -> None:
    """The listener goes away with the answer: many quick searches in a row all answer."""
    for search, filter_string in QUICK_FILTERS.items():
        for _ in range(20):
            response = slow_searches.call(search, filter_string)
            assert response.status_code == 200, response.text[:200]


def _ui_searches(searches: Searches) -> dict[str, tuple[str, dict[str, str]]]:
    """The UI's pages and table that search with what the user typed."""
    return {
        "models page": ("/models", {"q": SLOW_FILTERS["registered-models"]}),
        "experiments page": ("/experiments", {"q": SLOW_FILTERS["experiments"]}),
        "runs table": (
            "/ajax-api/2.0/runwell/ui/runs/table",
            {"experiment_ids": searches.experiment_id, "filter": SLOW_FILTERS["runs"]},
        ),
    }


@pytest.mark.parametrize("page", ["models page", "experiments page", "runs table"])
def test_a_ui_search_whose_browser_left_is_stopped_at_once(
    slow_searches: Searches, server_url: str, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env.SEARCH_TIMEOUT_S, "30")
    path, params = _ui_searches(slow_searches)[page]
    with httpx.Client(base_url=slow_searches.url, timeout=0.5) as impatient:
        with pytest.raises(httpx.TimeoutException):
            impatient.get(path, params=params)
    left = time.monotonic()
    while running(server_url) and time.monotonic() - left < 10:
        time.sleep(0.05)
    assert running(server_url) == 0
    assert time.monotonic() - left < 1.5, "the page's search ran on after the browser left"
    quick = dict(params, **({"q": "x"} if "q" in params else {"filter": "tags.t = 'x'"}))
    slow_searches.http.cookies.clear()
    assert slow_searches.http.get(path, params=quick).status_code == 200
