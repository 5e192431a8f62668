"""The SQLite library under the embedded stores: the bundled build, and the WAL-reset check."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from runwell.store import sqlite_driver


@pytest.mark.parametrize(
    ("version", "fixed"),
    [
        ((3, 40, 1), False),  # Debian 12's, Python's here
        ((3, 7, 0), False),
        ((3, 44, 5), False),
        ((3, 44, 6), True),  # backport
        ((3, 45, 0), False),
        ((3, 50, 6), False),
        ((3, 50, 7), True),  # backport
        ((3, 51, 2), False),
        ((3, 51, 3), True),
        ((3, 52, 0), True),
        ((3, 53, 4), True),
        ((4, 0, 0), True),
    ],
)
def test_wal_reset_fix_by_version(version: tuple[int, int, int], fixed: bool) -> None:
    assert sqlite_driver.has_wal_reset_fix(version) is fixed


def test_the_stores_run_on_a_sqlite_with_the_fix() -> None:
    library = sqlite_driver.library()
    # pysqlite3's wheel is a dependency on this platform: the stores never use the old build.
    assert library.driver == "pysqlite3"
    assert library.wal_reset_fix, library
    assert sqlite_driver.dbapi().sqlite_version_info > sqlite3.sqlite_version_info


def _library_in_child(value: str) -> subprocess.CompletedProcess[str]:
    code = "from runwell.store import sqlite_driver as d; print(d.library().describe())"
    environment = {**os.environ, "RUNWELL_SQLITE_DRIVER": value}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60
    )


def test_python_sqlite3_on_request_and_a_bad_choice_named() -> None:
    chosen = _library_in_child("sqlite3")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip().startswith(f"SQLite {sqlite3.sqlite_version} via Python's")
    bad = _library_in_child("apsw")
    assert bad.returncode != 0
    assert "RUNWELL_SQLITE_DRIVER='apsw': expected 'auto', 'pysqlite3' or 'sqlite3'" in bad.stderr


def test_the_sql_store_and_the_journal_open_files_with_the_chosen_library(tmp_path: object) -> None:
    from pathlib import Path

    from runwell.store.journal.journal import Journal
    from runwell.store.sql.engine import get_engine

    engine = get_engine(f"sqlite:///{Path(str(tmp_path)) / 'runwell.db'}")
    assert engine.dialect.dbapi is sqlite_driver.dbapi()
    journal = Journal.create(Path(str(tmp_path)) / "run", {"run_id": "r"})
    try:
        assert type(journal._conn).__module__.startswith("pysqlite3")
    finally:
        journal.close()
