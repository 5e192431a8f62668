"""The root group: version, tracking URI resolution, and the exit-code map."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import runwell
from runwell.cli import exit_code, main
from runwell.errors import (
    AlreadyExists,
    InvalidArgument,
    InvalidState,
    NotFound,
    RunwellError,
    Unavailable,
)
from runwell.store import uri as uris
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine
from tests.cli.conftest import Invoke


def test_version_prints_program_version_and_the_sqlite_in_use() -> None:
    from runwell.store import sqlite_driver

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    library = sqlite_driver.library()
    assert result.stdout == (
        f"runwell {runwell.__version__} (SQLite {library.version} via {library.driver}, "
        f"{'with' if library.wal_reset_fix else 'without'} the WAL-reset fix)\n"
    )


def test_help_lists_every_group() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("artifacts", "db", "experiments", "runs"):
        assert name in result.stdout


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidArgument("x"), 1),
        (AlreadyExists("x"), 1),
        (InvalidState("x"), 1),
        (RunwellError("x"), 1),
        (NotFound("x"), 3),
        (Unavailable("x"), 4),
    ],
)
def test_exit_code_maps_each_error_class(error: RunwellError, code: int) -> None:
    assert exit_code(error) == code


def test_tracking_uri_defaults_to_the_environment(
    client: runwell.RunwellClient, monkeypatch: pytest.MonkeyPatch, tracking_uri: str
) -> None:
    monkeypatch.setenv("RUNWELL_TRACKING_URI", tracking_uri)
    client.create_experiment("from-env")
    result = CliRunner().invoke(main, ["experiments", "list"])
    assert result.exit_code == 0, result.stderr
    assert "from-env" in result.stdout


def test_tracking_uri_defaults_to_runwell_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNWELL_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(main, ["experiments", "create", "here"])
    assert result.exit_code == 0, result.stderr
    assert (workdir / "runwell.db").is_file()
    assert runwell.RunwellClient(f"sqlite:///{workdir}/runwell.db").get_experiment_by_name("here")


def test_usage_error_exits_2(cli: Invoke) -> None:
    result = cli("runs", "list", "--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_unknown_command_exits_2(cli: Invoke) -> None:
    assert cli("models", "list").exit_code == 2


def test_unreachable_database_exits_4(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/no/such/dir/runwell.db"
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "experiments", "list"])
    assert result.exit_code == 4
    assert result.stderr.startswith("Error: The database is unavailable")
    assert result.stdout == ""


def test_stale_schema_exits_1_and_names_the_fix(
    client: runwell.RunwellClient, cli: Invoke, tracking_uri: str
) -> None:
    client.create_experiment("old")
    uris.forget_stores()
    with get_engine(tracking_uri).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    uris.forget_stores()

    result = cli("runs", "list")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: The database schema at")
    assert f"expected {migrate.HEAD}: run `runwell db upgrade" in result.stderr


def test_unsupported_tracking_uri_exits_1() -> None:
    result = CliRunner().invoke(main, ["--tracking-uri", "ftp://host/x", "runs", "list"])
    assert result.exit_code == 1
    assert "Unsupported tracking URI 'ftp://host/x'" in result.stderr
