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


def test_backup_copies_every_row_into_one_self_contained_file(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str, tmp_path: Path
) -> None:
    from runwell.entities import Metric

    run_id = client.create_run(client.create_experiment("wine")).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(key="loss", value=float(i), timestamp=i, step=i) for i in range(5000)],
    )
    dest = tmp_path / "backups" / "copy.db"
    result = cli("db", "backup", tracking_uri, str(dest))
    assert result.exit_code == 0, result.stderr
    assert f"(schema {migrate.HEAD}) to {dest}" in result.stdout
    # One file: no log beside it, and it opens on its own.
    assert sorted(p.name for p in dest.parent.iterdir()) == ["copy.db"]
    copy = runwell.RunwellClient(f"sqlite:///{dest}")
    assert len(copy.get_metric_history(run_id, "loss")) == 5000
    assert copy.get_experiment_by_name("wine") is not None


def test_backup_refuses_to_overwrite_unless_forced(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str, tmp_path: Path
) -> None:
    client.create_experiment("wine")
    dest = tmp_path / "copy.db"
    dest.write_bytes(b"keep me")
    result = cli("db", "backup", tracking_uri, str(dest))
    assert result.exit_code == 1
    assert "exists" in result.stderr and "--force" in result.stderr
    assert dest.read_bytes() == b"keep me"
    assert cli("db", "backup", tracking_uri, str(dest), "--force").exit_code == 0
    assert dest.read_bytes().startswith(b"SQLite format 3")


def test_backup_of_a_missing_file_or_a_server_database_says_what_to_do(
    cli: Invoke, tmp_path: Path
) -> None:
    missing = cli("db", "backup", f"sqlite:///{tmp_path}/nothing.db", str(tmp_path / "c.db"))
    assert missing.exit_code == 3
    assert "No SQLite database" in missing.stderr
    postgres = cli("db", "backup", "postgresql://u:secret@db.example/runs", str(tmp_path / "x"))
    assert postgres.exit_code == 1
    assert "pg_dump" in postgres.stderr
    assert "secret" not in postgres.stderr
    mysql = cli("db", "backup", "mysql+pymysql://root@127.0.0.1:3306/t", str(tmp_path / "x"))
    assert "mariadb-dump --single-transaction" in mysql.stderr
    assert not (tmp_path / "x").exists()


def test_current_of_a_database_from_a_newer_runwell(
    cli: Invoke, client: runwell.RunwellClient, tracking_uri: str
) -> None:
    client.create_experiment("wine")
    newer = f"{int(migrate.HEAD) + 1:04d}"
    with get_engine(tracking_uri).begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{newer}'")
    uris.forget_stores()
    result = cli("db", "current", tracking_uri)
    assert (
        result.stdout
        == f"{newer}, written by a newer runwell (this one knows up to {migrate.HEAD})\n"
    )
    upgrade = cli("db", "upgrade", tracking_uri)
    assert upgrade.exit_code == 1
    assert "written by a newer runwell" in upgrade.stderr


_WRITER = """
import sys, time
import runwell
from runwell.entities import Metric

client = runwell.RunwellClient(sys.argv[1])
run_id = client.create_run(client.create_experiment("busy")).info.run_id
print(run_id, flush=True)
step = 0
while True:
    points = [Metric(key="m", value=1.0, timestamp=1, step=s) for s in range(step, step + 500)]
    client.log_batch(run_id, metrics=points)
    step += 500
"""


def test_backup_while_a_writer_runs_is_consistent(tracking_uri: str, tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from runwell.store.sql.backup import backup_sqlite
    from runwell.store.sqlite_driver import dbapi

    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, tracking_uri], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        run_id = writer.stdout.readline().strip()
        time.sleep(1.0)
        copies = [
            backup_sqlite(Path(tracking_uri.removeprefix("sqlite:///")), tmp_path / f"b{i}.db")
            for i in range(3)
        ]
    finally:
        writer.kill()
        writer.communicate()
    counts = []
    for copy in copies:
        connection = dbapi().connect(str(copy.path))
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        connection.close()
        points = runwell.RunwellClient(f"sqlite:///{copy.path}").get_metric_history(run_id, "m")
        # Whole batches only, in order: a snapshot between two commits.
        assert len(points) % 500 == 0
        assert [p.step for p in points] == list(range(len(points)))
        counts.append(len(points))
    assert counts == sorted(counts) and counts[-1] > 0
