"""Shared fixtures: a per-test embedded store, and real SQL databases for the contract suite.

PostgreSQL and MariaDB/MySQL come from RUNWELL_TEST_POSTGRES_URL / RUNWELL_TEST_MYSQL_URL
(defaulting to this machine's local servers). Each xdist worker gets its own database,
dropped first if left over; tests truncate it. Locally a missing server skips those tests
with a reason; in CI (CI=true) it fails them. The ``store`` fixture adds a fourth backend,
``rest``: RestTrackingStore -> a live server -> SQLite (tests/rest/backend.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import runwell
from runwell.store import uri as uris
from runwell.store.protocols import TrackingStore
from runwell.store.sql import engine as engines
from runwell.store.sql.tracking import SqlTrackingStore
from runwell.tracking import fluent
from tests.rest.backend import RestBackend

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_MYSQL = "mysql+pymysql://root@127.0.0.1:3306/test"
BACKENDS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture(autouse=True)
def _isolated_tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test tracks into its own SQLite file in its own working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RUNWELL_TRACKING_URI", f"sqlite:///{tmp_path}/runwell.db")
    monkeypatch.setenv("RUNWELL_CAPTURE_GIT", "0")
    monkeypatch.setenv("RUNWELL_CAPTURE_REQUIREMENTS", "0")  # tests that list artifacts
    monkeypatch.setenv("RUNWELL_SPOOL_DIR", str(tmp_path / "spool"))
    for name in (
        "COLUMNS",
        "LINES",
        "RUNWELL_RUN_ID",
        "MLFLOW_RUN_ID",
        "RUNWELL_EXPERIMENT_ID",
        "MLFLOW_TRACKING_URI",
        "RUNWELL_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_EXPERIMENT_NAME",
        "RUNWELL_ARTIFACT_ROOT",
        "RUNWELL_REGISTRY_URI",
        "MLFLOW_REGISTRY_URI",
        "RUNWELL_SYSTEM_METRICS_SAMPLING_INTERVAL",
        "RUNWELL_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
        "RUNWELL_SYSTEM_METRICS_NODE_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    fluent.reset()
    yield
    while runwell.active_run() is not None:
        runwell.end_run()
    fluent.reset()
    uris.forget_stores()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _server_url(backend: str) -> str:
    if backend == "postgresql":
        return os.environ.get("RUNWELL_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    return os.environ.get("RUNWELL_TEST_MYSQL_URL", DEFAULT_MYSQL)


def _unavailable(backend: str, reason: str) -> None:
    message = f"{backend} server not available: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI requires it)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def server_databases() -> Iterator[dict[str, str]]:
    """A fresh database per backend for this worker: name -> URL (created lazily)."""
    created: dict[str, str] = {}
    yield created
    for backend, url in created.items():
        admin = sa.create_engine(
            engines.normalize_url(_server_url(backend)), isolation_level="AUTOCOMMIT"
        )
        name = sa.engine.make_url(engines.normalize_url(url)).database
        with admin.connect() as conn:
            quote = '"' if backend == "postgresql" else "`"
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}")
        admin.dispose()


def _server_database(backend: str, created: dict[str, str]) -> str:
    if backend in created:
        return created[backend]
    base = engines.normalize_url(_server_url(backend))
    # The process id keeps two test sessions on one server (a second checkout, CI beside a
    # developer) apart; databases of processes that are gone are dropped first.
    name = f"runwell_test_{_worker()}_{os.getpid()}"
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            quote = '"' if backend == "postgresql" else "`"
            for stale in _stale_databases(conn, backend):
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{stale}{quote}")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}")
            conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
        admin.dispose()
    except sa.exc.OperationalError as exc:
        _unavailable(backend, str(exc.orig))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    created[backend] = url
    return url


def _stale_databases(conn: sa.Connection, backend: str) -> list[str]:
    """Test databases (runwell_test_<worker>_<pid>) whose process no longer runs."""
    listed = "SELECT datname FROM pg_database" if backend == "postgresql" else "SHOW DATABASES"
    stale = []
    for (name,) in conn.exec_driver_sql(listed):
        pid = name.rpartition("_")[2]
        if name.startswith("runwell_test_") and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            stale.append(name)
    return stale


def _truncate(url: str) -> None:
    engine = engines.get_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        if not tables:
            return
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for table in tables:
                conn.exec_driver_sql(f"TRUNCATE TABLE `{table}`")
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


def _empty_database(backend: str, tmp_path: Path, server_databases: dict[str, str]) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/contract.db"
    url = _server_database(backend, server_databases)
    _truncate(url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, server_databases: dict[str, str]) -> str:
    """An empty database of each backend."""
    return _empty_database(request.param, tmp_path, server_databases)


@pytest.fixture(params=["sqlite", "postgresql"])
def server_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, server_databases: dict[str, str]
) -> str:
    """An empty database for a live server's end-to-end tests: the embedded default and the
    team server's usual choice."""
    return _empty_database(request.param, tmp_path, server_databases)


@pytest.fixture(scope="session")
def rest_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestBackend]:
    """One live server per worker, behind the ``rest`` backend of ``store``."""
    with RestBackend.start(tmp_path_factory.mktemp("rest-backend")) as backend:
        yield backend


@pytest.fixture(params=[*BACKENDS, "rest"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, server_databases: dict[str, str]
) -> Iterator[TrackingStore]:
    """A SqlTrackingStore on each backend (artifacts under tmp_path), and a RestTrackingStore
    talking to a live server over a fresh SQLite database."""
    if request.param == "rest":
        backend: RestBackend = request.getfixturevalue("rest_backend")
        with backend.fresh_store(tmp_path) as rest:
            yield rest
        return
    url = _empty_database(request.param, tmp_path, server_databases)
    yield SqlTrackingStore(url, (tmp_path / "artifacts").as_uri())


@pytest.fixture
def client() -> runwell.RunwellClient:
    """A client of this test's embedded store."""
    return runwell.RunwellClient()
