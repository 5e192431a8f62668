"""Migrations: upgrade/downgrade round trips, the schema equals the table definitions."""

from __future__ import annotations

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


def test_store_refuses_a_foreign_database(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "foreign.db"
    url = f"sqlite:///{path}"
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE something (x INTEGER)")
    with pytest.raises(InvalidState, match="no runwell schema version"):
        SqlTrackingStore(url, "file:///tmp/artifacts")
