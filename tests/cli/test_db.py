"""``runwell db``: current revision and upgrades."""

from __future__ import annotations

from pathlib import Path

import runwell
from runwell.store import uri as uris
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine
from tests.cli.conftest import Invoke


def _downgraded(client: runwell.RunwellClient, uri: str) -> None:
    """A runwell database taken back to before the first revision."""
    client.create_experiment("old")
    uris.forget_stores()
    migrate.downgrade(get_engine(uri), "base")
    uris.forget_stores()


def test_current_of_a_database_at_head(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str
) -> None:
    client.create_experiment("wine")
    result = cli("db", "current", tracking_uri)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{migrate.head_revision()} (head)\n"


def test_current_defaults_to_the_tracking_uri(cli: Invoke, client: runwell.RunwellClient) -> None:
    client.create_experiment("wine")
    assert cli("db", "current").stdout == f"{migrate.HEAD} (head)\n"


def test_current_of_a_database_without_schema_names_the_fix(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str
) -> None:
    _downgraded(client, tracking_uri)
    result = cli("db", "current", tracking_uri)
    assert result.exit_code == 0
    assert result.stdout == f"no runwell schema; run `runwell db upgrade {tracking_uri}`\n"


def test_upgrade_of_a_database_at_head_changes_nothing(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str
) -> None:
    client.create_experiment("wine")
    result = cli("db", "upgrade", tracking_uri)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"schema at {migrate.HEAD}\n"


def test_upgrade_brings_an_old_database_back_into_use(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str
) -> None:
    _downgraded(client, tracking_uri)

    result = cli("db", "upgrade", tracking_uri)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"upgraded empty -> {migrate.HEAD}\n"
    uris.forget_stores()
    listed = cli("experiments", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "Default" in listed.stdout


def test_upgrade_takes_a_plain_path(
    cli: Invoke, client: runwell.RunwellClient, tmp_path: Path
) -> None:
    client.create_experiment("wine")
    result = cli("db", "upgrade", str(tmp_path / "runwell.db"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"schema at {migrate.HEAD}\n"


def test_missing_sqlite_file_exits_3_without_creating_it(cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    for command in ("current", "upgrade"):
        result = cli("db", command, f"sqlite:///{missing}")
        assert result.exit_code == 3
        assert result.stderr.startswith(f"Error: no database file at {missing}")
    assert not missing.exists()


def test_unsupported_database_uri_exits_1(cli: Invoke) -> None:
    result = cli("db", "current", "ftp://host/db")
    assert result.exit_code == 1
    assert "Unsupported database URI" in result.stderr
