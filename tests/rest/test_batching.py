"""Background batching against a live server: delivery, order, limits, errors, exit."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import runwell
from runwell.entities import Metric, Param, RunStatus, RunTag
from runwell.errors import InvalidArgument, NotFound
from runwell.store import uri as uris
from runwell.tracking import async_logging, fluent
from tests.rest.conftest import Server


def _history(server: Server, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in server.store.get_metric_history(run_id, key).items]


def test_rest_logging_is_batched_by_default_and_local_logging_is_not(
    server: Server, tmp_path: Path
) -> None:
    remote = runwell.RunwellClient()
    assert remote.is_remote and remote.batches_by_default
    local = runwell.RunwellClient(f"sqlite:///{tmp_path}/local.db")
    assert not local.batches_by_default
    run_id = local.create_run("0").info.run_id
    local.log_metric(run_id, "m", 1.0)
    assert async_logging.existing_writer(local.store) is None


def test_queued_values_arrive_and_reads_see_them(server: Server) -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0").info.run_id
    for step in range(2500):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    client.log_param(run_id, "alpha", 0.5)
    client.set_tag(run_id, "team", "vision")
    writer = async_logging.existing_writer(client.store)
    assert writer is not None
    run = client.get_run(run_id)  # a read delivers what was queued first
    assert run.data.param_dict == {"alpha": "0.5"}
    assert run.data.tag_dict["team"] == "vision"
    assert run.data.metric_dict == {"loss": 1.0 / 2500}
    assert len(client.get_metric_history(run_id, "loss")) == 2500
    assert _history(server, run_id, "loss")[:2] == [(0, 1.0), (1, 0.5)]


def test_fluent_logging_goes_through_one_queue_and_flush_delivers(server: Server) -> None:
    with runwell.start_run() as run:
        for step in range(1200):
            runwell.log_metric("m", float(step), step=step)
        runwell.log_metrics({"a": 1.0, "b": 2.0}, step=3)
        runwell.log_params({"lr": 0.1, "depth": 4})
        runwell.set_tags({"stage": "dev"})
        runwell.log_param("seed", 7)
        runwell.set_tag("note", "x")
        runwell.flush()
        stored = server.store.get_run(run.info.run_id).data
        assert stored.param_dict == {"lr": "0.1", "depth": "4", "seed": "7"}
        assert {"stage": "dev", "note": "x"}.items() <= stored.tag_dict.items()
        assert len(_history(server, run.info.run_id, "m")) == 1200
        assert stored.metric_dict["a"] == 1.0 and stored.metric_dict["b"] == 2.0


def test_many_values_are_split_within_the_servers_limits_in_order(server: Server) -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0").info.run_id
    params = [Param(key=f"p{i}", value=str(i)) for i in range(250)]
    tags = [RunTag(key=f"t{i % 150}", value=f"v{i}") for i in range(300)]  # each key twice
    metrics = [Metric(key="m", value=float(i), timestamp=i, step=i) for i in range(3500)]
    client.log_batch(run_id, params=params[:90], tags=tags[:150])
    client.log_batch(run_id, metrics=metrics)
    client.log_batch(run_id, params=params[90:], tags=tags[150:])
    client.flush()
    run = server.store.get_run(run_id)
    assert run.data.param_dict == {p.key: p.value for p in params}
    assert {k: v for k, v in run.data.tag_dict.items() if k.startswith("t")} == {
        f"t{i}": f"v{i + 150}" for i in range(150)
    }
    assert [v for _, v in _history(server, run_id, "m")] == [float(i) for i in range(3500)]


def test_the_last_tag_wins_as_when_set_one_by_one(server: Server) -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0").info.run_id
    for value in range(30):
        client.set_tag(run_id, "status", value)
        client.set_tag(run_id, "mlflow.runName", f"name-{value}")
    assert client.get_run(run_id).data.tag_dict["status"] == "29"
    assert server.store.get_run(run_id).info.run_name == "name-29"


def test_a_refused_param_surfaces_at_flush_and_nothing_else_is_lost(server: Server) -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "alpha", "1")
    client.flush()
    client.log_param(run_id, "beta", "2")
    client.log_param(run_id, "alpha", "changed")  # refused by the server
    client.log_param(run_id, "gamma", "3")
    client.log_param(run_id, "beta", "2")  # the same value again is fine
    client.log_metric(run_id, "m", 1.0)
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        client.flush()
    client.flush()  # the error is raised once
    data = server.store.get_run(run_id).data
    assert data.param_dict == {"alpha": "1", "beta": "2", "gamma": "3"}
    assert data.metric_dict == {"m": 1.0}


def test_a_refusal_is_raised_by_the_next_logging_call(server: Server) -> None:
    client = runwell.RunwellClient()
    missing = "0" * 32
    deadline = time.monotonic() + 10
    with pytest.raises(NotFound, match=f"Run with id={missing} not found"):  # noqa: PT012
        while time.monotonic() < deadline:  # until the delivery thread got the answer
            client.log_metric(missing, "m", 1.0)
            time.sleep(0.01)
    with contextlib.suppress(NotFound):
        client.flush()  # refusals of the points queued meanwhile


def test_end_run_delivers_then_raises_and_the_run_ends_failed(server: Server) -> None:
    with pytest.raises(InvalidArgument, match="Changing param values"):  # noqa: PT012
        with runwell.start_run() as run:
            runwell.log_param("p", 1, synchronous=True)
            runwell.log_param("p", 2)
            runwell.log_metric("after", 1.0)
    assert runwell.active_run() is None
    stored = server.store.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FAILED
    assert stored.data.param_dict == {"p": "1"} and stored.data.metric_dict == {"after": 1.0}


def test_synchronous_calls_store_before_returning_and_raise_at_once(server: Server) -> None:
    with runwell.start_run() as run:
        runwell.log_param("p", 1, synchronous=True)
        assert server.store.get_run(run.info.run_id).data.param_dict == {"p": "1"}
        with pytest.raises(InvalidArgument, match="Changing param values"):
            runwell.log_param("p", 2, synchronous=True)
        runwell.log_metric("m", 3.0, synchronous=True)
        assert server.store.get_run(run.info.run_id).data.metric_dict == {"m": 3.0}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: runwell.log_metric("bad$key", 1.0), "names may only contain"),
        (lambda: runwell.log_metric("m", "x"), "expected a number"),  # type: ignore[arg-type]
        (lambda: runwell.log_metric("m", 1.0, timestamp=-1), "Timestamp"),
        (lambda: runwell.log_param("../up", 1), "would resolve"),
        (lambda: runwell.set_tag("", "v"), "'key'"),
        (lambda: runwell.log_metrics({"ok": 1.0, "bad key!": 2.0}), "names may only contain"),
    ],
)
def test_bad_input_is_refused_in_the_caller(server: Server, call: object, message: str) -> None:
    with runwell.start_run() as run:
        with pytest.raises(InvalidArgument, match=message):
            call()  # type: ignore[operator]
        runwell.flush()
    assert server.store.get_run(run.info.run_id).data.metric_list == ()


def test_the_environment_can_turn_batching_off(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    with runwell.start_run() as run:
        runwell.log_metric("m", 1.0)
        assert server.store.get_run(run.info.run_id).data.metric_dict == {"m": 1.0}
    assert async_logging.existing_writer(uris.tracking_store(server.url)) is None


def test_values_logged_before_exit_are_delivered_without_end_run(
    server: Server, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import runwell\n"
        "run = runwell.start_run()\n"
        "runwell.log_param('points', 10000)\n"
        "for i in range(10000):\n"
        "    runwell.log_metric('loss', i / 10000, step=i)\n"
        "print(run.info.run_id, flush=True)\n"  # no end_run, no flush: the exit hooks deliver
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "RUNWELL_TRACKING_URI": server.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    run_id = done.stdout.strip()
    history = _history(server, run_id, "loss")
    assert [step for step, _ in history] == list(range(10000))
    run = server.store.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.data.param_dict == {"points": "10000"}
    assert done.stderr == ""


def test_a_refusal_at_exit_is_printed_and_the_run_ends_failed(
    server: Server, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import runwell\n"
        "run = runwell.start_run()\n"
        "runwell.log_param('p', 1, synchronous=True)\n"
        "runwell.log_param('p', 2)\n"
        "print(run.info.run_id, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "RUNWELL_TRACKING_URI": server.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Changing param values is not allowed" in done.stderr
    assert server.store.get_run(done.stdout.strip()).info.status is RunStatus.FAILED


def test_reset_delivers_the_queue_and_stops_the_delivery_threads(server: Server) -> None:
    client = runwell.RunwellClient()
    run_id = client.create_run("0").info.run_id
    for step in range(100):
        client.log_metric(run_id, "m", float(step), step=step)
    assert any(t.name == "runwell-batching" for t in threading.enumerate())
    fluent.reset()
    assert len(_history(server, run_id, "m")) == 100
    assert not any(t.name == "runwell-batching" for t in threading.enumerate())
    client.log_metric(run_id, "m", 100.0, step=100)  # a new writer takes over
    assert len(client.get_metric_history(run_id, "m")) == 101
