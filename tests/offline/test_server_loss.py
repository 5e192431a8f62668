"""An online run whose server is SIGKILLed mid-run: logging goes on, every point arrives once.

The server is a real ``runwell server`` child process over a SQLite file, killed with SIGKILL
(no shutdown) while the client logs, then started again on the same port.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import runwell
from runwell.cli import main
from runwell.entities import RunStatus
from runwell.store.sql.tracking import SqlTrackingStore
from tests.offline.server_process import Restartable, running
from tests.reliability.stress import integrity


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Restartable]:
    with running(tmp_path / "server") as process:
        yield process


def _server_history(server: Restartable, run_id: str, key: str) -> list[int]:
    """The steps the server's database holds, after SQLite says the file is intact."""
    assert integrity(server.db) == "ok"
    store = SqlTrackingStore(f"sqlite:///{server.db}", "mlflow-artifacts:")
    try:
        return [m.step for m in store.get_metric_history(run_id, key).items]
    finally:
        store.engine.dispose()


@pytest.mark.slow
def test_a_run_that_loses_its_server_journals_and_catches_up_by_itself(
    server: Restartable, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_TRACKING_URI", server.url)
    with runwell.start_run() as run:
        runwell.log_param("before", 1)
        for step in range(3000):
            runwell.log_metric("loss", step * 0.5, step=step)
            if step == 1200:
                server.kill()  # the delivery thread is most likely sending meanwhile
        runwell.log_param("during", 2)
        runwell.set_tag("phase", "outage")
        runwell.flush()  # nothing refused: what could not be sent is in a journal
        assert list(spool.glob("*/journal.db")), "values logged during the outage are journaled"

        server.start()
        runwell.flush()  # a flush looks for the server at once, and delivers the journal
        assert not list(spool.glob("*/journal.db"))
        data = runwell.get_run(run.info.run_id).data
        assert data.param_dict == {"before": "1", "during": "2"}
        assert data.tag_dict["phase"] == "outage"
        for step in range(3000, 3500):  # and logging goes straight to the server again
            runwell.log_metric("loss", step * 0.5, step=step)
    assert _server_history(server, run.info.run_id, "loss") == list(range(3500))
    history = runwell.RunwellClient().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, s * 0.5) for s in range(3500)]
    assert runwell.get_run(run.info.run_id).info.status is RunStatus.FINISHED


_CLIENT = textwrap.dedent(
    """
    import sys
    import runwell

    with runwell.start_run() as run:
        print(run.info.run_id, flush=True)
        for step in range(1000):
            runwell.log_metric("loss", float(step), step=step)
        runwell.flush()
        print("delivered", flush=True)
        sys.stdin.readline()  # the server is killed meanwhile
        for step in range(1000, 2500):
            runwell.log_metric("loss", float(step), step=step)
        runwell.log_param("late", "yes")
    """
)


@pytest.mark.slow
def test_a_client_that_ends_while_the_server_is_down_leaves_a_journal_for_sync(
    server: Restartable, spool: Path, tmp_path: Path
) -> None:
    client = subprocess.Popen(
        [sys.executable, "-c", _CLIENT],
        env={**_environ(), "RUNWELL_TRACKING_URI": server.url, "RUNWELL_SPOOL_DIR": str(spool)},
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None and client.stdin is not None
    run_id = client.stdout.readline().strip()
    assert client.stdout.readline().strip() == "delivered"
    server.kill()
    client.stdin.write("go\n")
    client.stdin.flush()
    _out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    assert "runwell sync" in err and "still unreachable" in err
    assert len(list(spool.glob("*/journal.db"))) == 1

    server.start()
    result = CliRunner().invoke(main, ["sync"], env={"RUNWELL_TRACKING_URI": server.url})
    assert result.exit_code == 0, result.output
    assert "done and removed" in result.stdout
    assert not list(spool.glob("*/journal.db"))  # a delivered spill journal is removed
    assert _server_history(server, run_id, "loss") == list(range(2500))
    store = SqlTrackingStore(f"sqlite:///{server.db}", "mlflow-artifacts:")
    try:
        stored = store.get_run(run_id)
    finally:
        store.engine.dispose()
    assert stored.data.param_dict == {"late": "yes"}
    assert stored.info.status is RunStatus.FINISHED


def _environ() -> dict[str, str]:
    import os

    keep = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    keep.update(
        RUNWELL_HTTP_REQUEST_MAX_RETRIES="1",
        RUNWELL_HTTP_REQUEST_BACKOFF_FACTOR="0.01",
        RUNWELL_CAPTURE_GIT="0",
    )
    return keep
