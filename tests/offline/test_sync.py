"""``runwell sync``: offline journals uploaded to a live server, exactly once, damage reported."""

from __future__ import annotations

import math
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy
import pytest
from click.testing import CliRunner, Result

import runwell
from runwell.cli import main
from runwell.entities import Metric, Param, RunStatus
from runwell.store import uri as uris
from runwell.store.journal.format import Kind, checked_batch
from runwell.store.journal.journal import Journal, JournalDamaged
from runwell.store.journal.sync import JOURNAL_RUN_TAG
from runwell.tracking import fluent
from tests.offline.conftest import LiveServer

RUNWELL = str(Path(sys.executable).with_name("runwell"))


def _sync(*args: str) -> Result:
    return CliRunner().invoke(main, ["sync", *args], catch_exceptions=False)


def _offline(monkeypatch: pytest.MonkeyPatch, experiment: str = "wine") -> str:
    """Start an offline run (the active run); its (journal's) run id."""
    monkeypatch.setenv("RUNWELL_MODE", "offline")
    runwell.set_experiment(experiment)
    return runwell.start_run(run_name="offline-run").run_id


def _release(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the offline stores (as a process exiting would) and leave offline mode."""
    fluent.reset()
    uris.forget_stores()
    monkeypatch.delenv("RUNWELL_MODE")


def _server_run(server: LiveServer, journal_run_id: str, experiment: str = "wine") -> str:
    found = server.store.find_experiment_by_name(experiment)
    assert found is not None
    runs = server.store.search_runs(
        [found.experiment_id], f"tags.`{JOURNAL_RUN_TAG}` = '{journal_run_id}'"
    ).items
    assert len(runs) == 1
    return runs[0].info.run_id


def _stored_rows(db: Path) -> tuple[int, ...]:
    """Rows the server keeps: metric rows, points in blocks, params, tags."""
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(query).fetchone()[0]
            for query in (
                "SELECT count(*) FROM metrics",
                "SELECT coalesce(sum(count), 0) FROM metric_blocks",
                "SELECT count(*) FROM params",
                "SELECT count(*) FROM tags",
            )
        )


def _steps(server: LiveServer, run_id: str, key: str) -> list[int]:
    return [m.step for m in server.store.get_metric_history(run_id, key).items]


def test_sync_delivers_a_run_once_and_a_second_sync_adds_nothing(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, spool: Path, tmp_path: Path
) -> None:
    run_id = _offline(monkeypatch)
    runwell.log_params({"lr": 0.1, "depth": 4})
    for step in range(2500):
        runwell.log_metric("loss", 1.0 / (step + 1), step=step)
    runwell.log_metric("odd", math.nan, step=1)
    runwell.set_tags({"team": "vision", "scratch": "x"})
    runwell.delete_tag("scratch")
    runwell.log_input(runwell.data.from_numpy(numpy.arange(6).reshape(3, 2), name="toy"), "train")
    (tmp_path / "model.txt").write_text("weights")
    runwell.log_artifact(str(tmp_path / "model.txt"), "model")
    runwell.end_run()
    _release(monkeypatch)

    first = _sync("--tracking-uri", live_server.url)
    assert first.exit_code == 0, first.output
    assert f"run {run_id} -> " in first.stdout and "done" in first.stdout
    server_run_id = _server_run(live_server, run_id)
    stored = live_server.store.get_run(server_run_id)
    assert stored.info.status is RunStatus.FINISHED and stored.info.run_name == "offline-run"
    assert stored.data.param_dict == {"lr": "0.1", "depth": "4"}
    assert stored.data.tag_dict["team"] == "vision" and "scratch" not in stored.data.tag_dict
    assert stored.data.tag_dict[JOURNAL_RUN_TAG] == run_id
    assert _steps(live_server, server_run_id, "loss") == list(range(2500))
    assert math.isnan(stored.data.metric_dict["odd"])
    assert [d.dataset.name for d in stored.inputs.dataset_inputs] == ["toy"]
    artifact = live_server.db.parent / "server-artifacts"
    assert [p.read_text() for p in artifact.rglob("model.txt")] == ["weights"]
    rows = _stored_rows(live_server.db)
    assert rows[0] + rows[1] == 2501

    second = _sync("--tracking-uri", live_server.url)
    assert second.exit_code == 0
    assert "already synced" in second.stdout
    assert _stored_rows(live_server.db) == rows

    removed = _sync("--tracking-uri", live_server.url, "--remove", str(spool / run_id))
    assert removed.exit_code == 0 and not (spool / run_id).exists()


_SLOW_SYNC = """
import sys
from runwell.cli import main
sys.exit(main(["sync", "--tracking-uri", sys.argv[1], sys.argv[2]]))
"""


def test_an_interrupted_sync_resumes_where_it_stopped(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, spool: Path
) -> None:
    run_id = _offline(monkeypatch)
    client = runwell.RunwellClient()
    for start in range(0, 150_000, 1000):
        points = [
            Metric(key="m", value=i * 0.5, timestamp=i, step=i) for i in range(start, start + 1000)
        ]
        client.log_batch(run_id, metrics=points, synchronous=True)
    runwell.end_run()
    _release(monkeypatch)

    journal_db = spool / run_id / "journal.db"
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SYNC, live_server.url, str(spool / run_id)]
    )
    delivered = 0
    deadline = time.monotonic() + 60
    while delivered < 20 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
        with sqlite3.connect(journal_db) as conn:
            row = conn.execute("SELECT value FROM sync_state WHERE key = 'seq'").fetchone()
        delivered = int(row[0]) if row else 0
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 20 <= delivered < 150, "the sync should have been stopped halfway"

    resumed = _sync("--tracking-uri", live_server.url)
    assert resumed.exit_code == 0, resumed.output
    assert "resumed after record" in resumed.stdout
    server_run_id = _server_run(live_server, run_id)
    assert _steps(live_server, server_run_id, "m") == list(range(150_000))
    metric_rows, block_points, _params, _tags = _stored_rows(live_server.db)
    # Only the request in flight when the sync was killed can have been stored twice.
    assert 150_000 <= metric_rows + block_points <= 151_000
    assert live_server.store.get_run(server_run_id).info.status is RunStatus.FINISHED


def test_a_truncated_journal_is_synced_up_to_its_last_intact_record(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, spool: Path
) -> None:
    run_id = _offline(monkeypatch)
    client = runwell.RunwellClient()
    for start in range(0, 40_000, 1000):
        points = [
            Metric(key="m", value=1.0, timestamp=i, step=i) for i in range(start, start + 1000)
        ]
        client.log_batch(run_id, metrics=points, synchronous=True)
    runwell.end_run()
    _release(monkeypatch)
    path = spool / run_id / "journal.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size * 2 // 3)

    result = _sync("--tracking-uri", live_server.url)
    assert result.exit_code == 1
    assert "DAMAGED" in result.stdout and "salvaged copy" in result.stdout
    journal = Journal.open(spool / run_id)
    with pytest.raises(JournalDamaged) as raised:
        list(journal.records())
    intact_batches = raised.value.readable - 1  # record 1 creates the run
    assert 0 < intact_batches < 40
    server_run_id = _server_run(live_server, run_id)
    assert _steps(live_server, server_run_id, "m") == list(range(intact_batches * 1000))
    assert journal.sync_state().get("done") is None
    journal.close()

    again = _sync("--tracking-uri", live_server.url)
    assert again.exit_code == 1 and "DAMAGED" in again.stdout
    assert _steps(live_server, server_run_id, "m") == list(range(intact_batches * 1000))


def test_a_journal_of_a_deleted_experiment_is_refused_and_kept(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, spool: Path
) -> None:
    run_id = _offline(monkeypatch, experiment="gone")
    runwell.log_metric("m", 1.0)
    runwell.end_run()
    _release(monkeypatch)
    experiment_id = live_server.store.create_experiment("gone").experiment_id
    live_server.store.delete_experiment(experiment_id)

    refused = _sync("--tracking-uri", live_server.url)
    assert refused.exit_code == 1
    assert f"experiment 'gone' (id {experiment_id}) was deleted" in refused.stderr
    assert "the journal is kept" in refused.stderr
    assert (spool / run_id / "journal.db").is_file()

    live_server.store.restore_experiment(experiment_id)
    delivered = _sync("--tracking-uri", live_server.url)
    assert delivered.exit_code == 0, delivered.output
    assert live_server.store.get_run(_server_run(live_server, run_id, "gone")).data.metric_dict == {
        "m": 1.0
    }


def test_a_value_the_server_refuses_is_reported_and_the_rest_delivered(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, spool: Path
) -> None:
    run_id = _offline(monkeypatch)
    runwell.log_param("lr", "0.1")
    runwell.end_run()
    _release(monkeypatch)
    # A journal written behind the offline store's back: a second value for the same param.
    journal = Journal.open(spool / run_id, write=True)
    body = checked_batch(
        [Metric(key="m", value=3.0, timestamp=1, step=1)], [Param(key="lr", value="0.2")], ()
    )
    journal.append(Kind.BATCH, body, 2)
    journal.close()

    result = _sync("--tracking-uri", live_server.url)
    assert result.exit_code == 1
    assert "param lr='0.2' refused by the server" in result.stderr
    stored = live_server.store.get_run(_server_run(live_server, run_id))
    assert stored.data.param_dict == {"lr": "0.1"} and stored.data.metric_dict == {"m": 3.0}


def test_a_spilled_journal_only_goes_to_its_own_server(
    spool: Path, live_server: LiveServer
) -> None:
    meta = {"kind": "spill", "run_id": "c" * 32, "tracking_uri": "http://127.0.0.1:9"}
    Journal.create(spool / ("c" * 32), meta).close()
    result = _sync("--tracking-uri", live_server.url)
    assert result.exit_code == 1
    assert "belongs to the tracking server http://127.0.0.1:9" in result.stderr


def test_sync_without_journals_says_so_and_a_wrong_path_is_refused(tmp_path: Path) -> None:
    empty = _sync("--tracking-uri", "http://127.0.0.1:9")
    assert empty.exit_code == 0 and "no journals under" in empty.stdout
    wrong = _sync(str(tmp_path / "nowhere"))
    assert wrong.exit_code == 3 and "No journal at" in wrong.stderr
