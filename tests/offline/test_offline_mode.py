"""RUNWELL_MODE=offline: the fluent API and the client write journals and read them back."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import runwell
from runwell.entities import Metric, RunStatus
from runwell.errors import InvalidArgument, InvalidState, NotFound
from runwell.store.journal.journal import Journal
from runwell.store.journal.tracking import JournalTrackingStore


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_MODE", "offline")
    monkeypatch.setenv("RUNWELL_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there


@pytest.mark.usefixtures("offline")
def test_a_fluent_run_is_written_to_a_journal_and_read_back_from_it(
    spool: Path, tmp_path: Path
) -> None:
    runwell.set_experiment("wine")
    with runwell.start_run(run_name="first", tags={"team": "vision"}) as run:
        runwell.log_params({"lr": 0.1, "depth": 4})
        for step in range(3000):
            runwell.log_metric("loss", 1.0 / (step + 1), step=step)
        runwell.log_metric("odd", math.nan, step=1)
        runwell.set_tag("stage", "dev")
        (tmp_path / "notes.txt").write_text("hello")
        runwell.log_artifact(str(tmp_path / "notes.txt"), "docs")
        stored = runwell.get_run(run.info.run_id)
    run_id = run.info.run_id
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)
    assert stored.info.experiment_id == "name:wine"
    assert stored.info.run_name == "first"
    assert stored.data.params == runwell.get_run(run_id).data.params
    assert stored.data.param_dict == {"lr": "0.1", "depth": "4"}
    assert {"team": "vision", "stage": "dev"}.items() <= stored.data.tag_dict.items()
    assert stored.data.metric_dict["loss"] == 1.0 / 3000
    assert math.isnan(stored.data.metric_dict["odd"])
    history = runwell.RunwellClient().get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(3000))
    ended = runwell.get_run(run_id).info
    assert ended.status is RunStatus.FINISHED and ended.end_time is not None
    assert (spool / run_id / "artifacts" / "docs" / "notes.txt").read_text() == "hello"
    journal = Journal.open(spool / run_id)
    assert journal.meta("kind") == "offline"
    assert journal.meta("tracking_uri") == "http://127.0.0.1:9"
    assert not journal.writer_alive()  # the run ended: its journal was let go
    journal.close()


@pytest.mark.usefixtures("offline")
def test_calls_that_need_the_server_say_offline_mode() -> None:
    with runwell.start_run():
        with pytest.raises(InvalidState, match=r"search_runs is not .* offline mode"):
            runwell.search_runs(experiment_ids=["0"])
        with pytest.raises(InvalidState, match="RUNWELL_MODE=offline"):
            runwell.delete_run(runwell.active_run().info.run_id)  # type: ignore[union-attr]
    with pytest.raises(NotFound, match=r"not found in offline mode .* no journal"):
        runwell.get_run("0123456789abcdef0123456789abcdef")


@pytest.mark.usefixtures("offline")
def test_a_changed_param_is_refused_offline_as_the_server_would() -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", "0.1", synchronous=True)
    client.log_param(run_id, "lr", "0.1", synchronous=True)  # the same value: a no-op
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        client.log_param(run_id, "lr", "0.2", synchronous=True)
    with pytest.raises(InvalidArgument, match="Invalid value"):
        client.log_metric(run_id, "m", "not a number")  # type: ignore[arg-type]
    assert client.get_run(run_id).data.param_dict == {"lr": "0.1"}


def test_the_mode_must_be_online_or_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_MODE", "sometimes")
    with pytest.raises(InvalidArgument, match=r"RUNWELL_MODE='sometimes'.*'online' or 'offline'"):
        runwell.RunwellClient()


def test_a_journal_written_by_another_store_is_read_not_taken(spool: Path) -> None:
    writer = JournalTrackingStore("http://127.0.0.1:9", spool)
    run_id = writer.create_run("0", "me", 1).info.run_id
    writer.log_batch(run_id, metrics=[Metric(key="m", value=2.0, timestamp=3, step=4)])
    other = JournalTrackingStore("http://127.0.0.1:9", spool)
    assert other.get_run(run_id).data.metric_dict == {"m": 2.0}
    with pytest.raises(InvalidState, match="open for writing in another process"):
        other.log_batch(run_id, metrics=[Metric(key="m", value=1.0, timestamp=3, step=5)])
    writer.close()
    other.update_run_info(run_id, RunStatus.FINISHED, 10)  # the journal is free again
    assert other.get_run(run_id).info.status is RunStatus.FINISHED
    other.close()


@pytest.mark.usefixtures("offline")
def test_reads_of_a_live_offline_run_see_every_later_write() -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0", run_name="r").info.run_id
    client.log_metric(run_id, "m", 1.0, step=1, synchronous=True)
    assert client.get_run(run_id).data.metric_dict == {"m": 1.0}
    client.log_metric(run_id, "m", 5.0, step=2, synchronous=True)
    client.log_metric(run_id, "m", 9.0, step=0, synchronous=True)  # older step: not the latest
    client.set_tag(run_id, "mlflow.runName", "renamed", synchronous=True)
    run = client.get_run(run_id)
    assert run.data.metric_dict == {"m": 5.0} and run.info.run_name == "renamed"
    client.delete_tag(run_id, "mlflow.runName")
    assert "mlflow.runName" not in client.get_run(run_id).data.tag_dict
