"""Migrations: upgrade/downgrade round trips, the schema equals the table definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from runwell.errors import InvalidState
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine
from runwell.store.sql.rows import metadata
from runwell.store.sql.tracking import SqlTrackingStore


def test_head_constant_matches_alembic_scripts() -> None:
    assert migrate.HEAD == migrate.head_revision()


def test_upgrade_creates_a_schema_equal_to_the_table_definitions(db_url: str) -> None:
    engine = get_engine(db_url)
    before, after = migrate.upgrade(engine)
    assert (before, after) == (None, migrate.HEAD) or before == migrate.HEAD
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = get_engine(db_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD


def test_store_refuses_a_stale_schema_with_the_command_to_run(
    db_url: str, tmp_path: object
) -> None:
    engine = get_engine(db_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    with pytest.raises(InvalidState, match="runwell db upgrade") as raised:
        SqlTrackingStore(db_url, "file:///tmp/artifacts")
    if db_url.startswith("postgresql"):
        # The local server trusts loopback, so any password connects; it must not be shown.
        with_password = sa.engine.make_url(db_url).set(password="s3cret")
        with pytest.raises(InvalidState, match="runwell db upgrade") as raised:
            SqlTrackingStore(with_password.render_as_string(hide_password=False), "file:///x")
        assert "s3cret" not in str(raised.value)
        assert "***" in str(raised.value)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{migrate.HEAD}'")


def test_a_database_from_a_newer_runwell_is_refused_and_left_untouched(db_url: str) -> None:
    engine = get_engine(db_url)
    migrate.upgrade(engine)
    newer = f"{int(migrate.HEAD) + 1:04d}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{newer}'")
        tables = sorted(sa.inspect(conn).get_table_names())
    try:
        with pytest.raises(InvalidState, match="written by a newer runwell") as raised:
            SqlTrackingStore(db_url, "file:///tmp/artifacts")
        message = str(raised.value)
        assert f"revision {newer}" in message
        assert "Upgrade runwell" in message
        assert "runwell db upgrade" not in message
        # `runwell db upgrade` refuses it too, rather than asking Alembic for a revision it
        # does not have.
        with pytest.raises(InvalidState, match="written by a newer runwell"):
            migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == newer
            assert sorted(sa.inspect(conn).get_table_names()) == tables
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{migrate.HEAD}'")


def test_an_mlflow_database_is_refused_as_mlflows_and_left_untouched(tmp_path: Path) -> None:
    """MLflow's schema has Alembic revisions too (hex ones): it is not a newer runwell's."""
    url = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('dc11669786a5')")
        conn.exec_driver_sql("CREATE TABLE experiments (experiment_id INTEGER)")
    for attempt in (
        lambda: SqlTrackingStore(url, "file:///tmp/x"),
        lambda: migrate.upgrade(get_engine(url)),
    ):
        with pytest.raises(InvalidState, match="looks like MLflow's own database") as raised:
            attempt()
        message = str(raised.value)
        assert "revision dc11669786a5" in message and "newer runwell" not in message
        assert "left untouched" in message
    with get_engine(url).connect() as conn:
        assert sorted(sa.inspect(conn).get_table_names()) == ["alembic_version", "experiments"]


def test_store_refuses_a_foreign_database(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "foreign.db"
    url = f"sqlite:///{path}"
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE something (x INTEGER)")
    with pytest.raises(InvalidState, match="no runwell schema version"):
        SqlTrackingStore(url, "file:///tmp/artifacts")


def test_metric_points_survive_the_series_migration_both_ways(db_url: str) -> None:
    import math

    from runwell.entities import Metric

    store = SqlTrackingStore(db_url, "file:///tmp/artifacts")
    run_id = store.create_run(store.create_experiment("carried").experiment_id, "me", 1).info.run_id
    points = [
        Metric(key="loss", value=v, timestamp=1000 + i, step=i)
        for i, v in enumerate([0.5, math.nan, math.inf, -math.inf, 0.25])
    ]
    store.log_batch(run_id, metrics=[*points, Metric(key="acc", value=0.9, timestamp=5, step=3)])

    def observed(s: SqlTrackingStore) -> tuple[list[tuple[str, int, int]], dict[str, str]]:
        history = [
            (repr(m.value), m.timestamp, m.step) for m in s.get_metric_history(run_id, "loss").items
        ]
        latest = {m.key: repr(m.value) for m in s.get_run(run_id).data.metric_list}
        return history, latest

    expected = observed(store)
    engine = get_engine(db_url)
    migrate.downgrade(engine, "0002")
    with engine.connect() as conn:
        old_rows = conn.exec_driver_sql("SELECT COUNT(*) FROM metrics").scalar()
        old_latest = conn.exec_driver_sql("SELECT COUNT(*) FROM latest_metrics").scalar()
    assert (old_rows, old_latest) == (6, 2)
    migrate.upgrade(engine)
    assert observed(SqlTrackingStore(db_url, "file:///tmp/artifacts")) == expected
