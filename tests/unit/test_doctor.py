"""``runwell doctor`` / ``runwell.doctor()``: what a bug report needs, the SQLite library first."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import runwell
from runwell.cli import main
from runwell.store import sqlite_driver
from runwell.store.sql.migrate import HEAD


def test_doctor_reports_the_sqlite_library_and_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"sqlite:///{tmp_path}/runwell.db"
    monkeypatch.setenv("RUNWELL_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "hunter2")
    runwell.RunwellClient(uri).create_experiment("wine")
    runwell.doctor(mask_envs=True)
    printed = capsys.readouterr().out
    library = sqlite_driver.library()
    assert "SQLite library:" in printed and f"{library.version} ({library.driver})" in printed
    assert "SQLite WAL-reset fix:    yes" in printed
    assert f"Tracking URI:            {uri}" in printed
    assert f"Schema revision:         {HEAD} (this runwell's head: {HEAD})" in printed
    assert "MLFLOW_TRACKING_PASSWORD=***" in printed and "hunter2" not in printed


def test_doctor_command_hides_uri_passwords() -> None:
    result = CliRunner().invoke(
        main, ["--tracking-uri", "postgresql://alice:s3cret@db.example/runs", "doctor"]
    )
    assert result.exit_code == 0, result.output
    assert "postgresql://alice:***@db.example/runs" in result.stdout
    assert "s3cret" not in result.stdout
