"""Several workers and replicas of ``runwell server`` over one PostgreSQL database act as one.

One ``runwell server --workers 4`` process serves the module (a fresh PostgreSQL database,
artifacts proxied to a temporary directory). Client processes, each with several threads, log
into shared runs and runs of their own at the same time; the checks then read the database
directly (a SqlTrackingStore on the same URL) and the artifact directory, and compare with what
``workload.py`` says was sent: every point exactly once, params and tags complete, latest
values right, files byte for byte.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from runwell import RunwellClient
from runwell.errors import InvalidArgument
from runwell.store.sql import engine as engines
from runwell.store.sql.tracking import SqlTrackingStore
from tests.scaleout import procfs
from tests.scaleout import workload as w
from tests.scaleout.checks import check_load, check_local_artifacts, history, latest
from tests.scaleout.cluster import (
    MultiWorkerServer,
    multi_worker_server,
    own_runs,
    postgres_database,
    start_clients,
)
from tests.server.cli_process import run_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(sys.platform != "linux", reason="reads worker sockets from /proc"),
]

WORKERS = 4
LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_database("multi") as url:
        yield url


@pytest.fixture(scope="module")
def destination(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def server(
    database: str, destination: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MultiWorkerServer]:
    cwd = tmp_path_factory.mktemp("server")
    with multi_worker_server(cwd, WORKERS, database, str(destination)) as running:
        yield running


@pytest.fixture
def direct(database: str) -> SqlTrackingStore:
    """The database itself, read without any server in between."""
    return SqlTrackingStore(database, "mlflow-artifacts:")


def test_every_worker_accepts_and_answers(server: MultiWorkerServer) -> None:
    assert len(set(server.worker_pids)) == WORKERS
    assert server.process.process.pid not in server.worker_pids
    answered = procfs.probe_until_all_answer(server.port, server.worker_pids)
    assert all(answered.values()), answered


def test_concurrent_clients_land_every_value_exactly_once(
    server: MultiWorkerServer, direct: SqlTrackingStore, destination: Path, tmp_path: Path
) -> None:
    setup = RunwellClient(server.url)
    experiment_id = setup.create_experiment("scaleout-load")
    shared = [setup.create_run(experiment_id, run_name=n).info.run_id for n in ("batch", "one")]
    clients = start_clients(server.url, experiment_id, shared, tmp_path, w.PROCESSES)
    # While the clients run, every worker must still take new connections and answer.
    with ThreadPoolExecutor(1) as pool:
        probing = pool.submit(procfs.probe_until_all_answer, server.port, server.worker_pids)
        own = own_runs(clients)
        answered = probing.result()
    assert all(answered.values()), answered

    check_load(direct, experiment_id, shared, own)
    batches = shared[0]
    check_local_artifacts(destination / experiment_id / batches / "artifacts")
    # Read back through the proxy too, from whichever worker takes the request.
    big = w.artifact_path(0, 0)
    got = Path(setup.download_artifacts(batches, big, str(tmp_path / "download")))
    assert got.read_bytes() == w.artifact_bytes(0, 0)


def _batch_body(run_id: str, first_step: int) -> dict[str, Any]:
    """A full log-batch request as a client sends it: 990 points and 10 tags."""
    return {
        "run_id": run_id,
        "metrics": [
            {"key": "retried", "value": s / 8, "timestamp": w.BASE_TIME + s, "step": s}
            for s in range(first_step, first_step + 990)
        ],
        "tags": [{"key": f"tag{first_step}.{i}", "value": str(i)} for i in range(10)],
    }


def _post_twice_at_once(url: str, body: dict[str, Any]) -> list[httpx.Response]:
    """The same request on two connections at the same time (so, usually, two workers)."""

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=30) as http:
            return http.post(LOG_BATCH, json=body)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(send, range(2)))


def test_a_retried_log_batch_leaves_each_point_once(
    server: MultiWorkerServer, direct: SqlTrackingStore
) -> None:
    client = RunwellClient(server.url)
    run_id = client.create_run(client.create_experiment("scaleout-retry")).info.run_id
    bodies = [_batch_body(run_id, first) for first in (0, 1000, 2000)]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        # The client gave up waiting for the answer and sends the request again, while the
        # first copy may still be in flight on another worker.
        try:
            http.post(LOG_BATCH, json=bodies[0], timeout=httpx.Timeout(30, read=0.001))
        except httpx.ReadTimeout:
            pass
        retried = http.post(LOG_BATCH, json=bodies[0])
        assert retried.status_code == 200, retried.text
        # The answer was lost after the server stored the batch: the same request again.
        for _ in range(2):
            again = http.post(LOG_BATCH, json=bodies[1])
            assert again.status_code == 200, again.text
    racing = _post_twice_at_once(server.url, bodies[2])
    assert [r.status_code for r in racing] == [200, 200], [r.text for r in racing]

    sent = [m for body in bodies for m in body["metrics"]]
    expected = sorted((m["step"], m["timestamp"], float(m["value"])) for m in sent)
    # The first copy of bodies[0] may still be committing: it can only add what is there.
    assert history(direct, run_id, "retried") == expected
    assert latest(direct, run_id) == {"retried": expected[-1]}
    tags = direct.get_run(run_id).data.tag_dict
    assert {k: v for k, v in tags.items() if k.startswith("tag")} == {
        t["key"]: t["value"] for body in bodies for t in body["tags"]
    }


def test_a_log_batch_racing_its_twin_with_params_succeeds(
    server: MultiWorkerServer, database: str, direct: SqlTrackingStore
) -> None:
    client = RunwellClient(server.url)
    run_id = client.create_run(client.create_experiment("scaleout-twin")).info.run_id
    body = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 1.0, "timestamp": w.BASE_TIME, "step": 0}],
        "params": [{"key": "lr", "value": "0.1"}],
    }
    engine = sa.create_engine(engines.normalize_url(database))
    try:
        with engine.connect() as twin:
            # The twin request, mid-transaction on another worker: its param row is written
            # but not yet committed.
            run_pk = twin.execute(
                sa.text("SELECT id FROM runs WHERE run_id = :r"), {"r": run_id}
            ).scalar_one()
            twin.execute(
                sa.text("INSERT INTO params (run, key, value) VALUES (:p, 'lr', '0.1')"),
                {"p": run_pk},
            )
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(httpx.post, server.url + LOG_BATCH, json=body, timeout=30)
                _wait_for_a_lock_wait(engine)
                twin.commit()
                response = pending.result()
    finally:
        engine.dispose()
    assert response.status_code == 200, response.text
    run = direct.get_run(run_id)
    assert run.data.param_dict == {"lr": "0.1"}
    assert run.data.metric_dict == {"m": 1.0}


def _wait_for_a_lock_wait(engine: sa.Engine) -> None:
    """Until some session of this database waits for a row or index lock (the request)."""
    deadline = time.monotonic() + 20
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    with engine.connect() as watcher:
        while not watcher.execute(query).scalar_one():
            assert time.monotonic() < deadline, "the request never waited for the twin"
            time.sleep(0.01)
            watcher.rollback()


def test_a_replica_on_the_same_database_sees_writes_at_once(
    server: MultiWorkerServer, database: str, destination: Path, tmp_path: Path
) -> None:
    args = ("--backend-store-uri", database, "--artifacts-destination", str(destination))
    with run_server(tmp_path, *args, timeout_s=60) as replica:
        a, b = RunwellClient(server.url), RunwellClient(replica.url)
        experiment_id = a.create_experiment("scaleout-replica")
        found = b.get_experiment_by_name("scaleout-replica")
        assert found is not None
        assert found.experiment_id == experiment_id
        run_id = b.create_run(experiment_id, run_name="both").info.run_id

        a.log_metric(run_id, "loss", 0.5, step=1, synchronous=True)
        assert b.get_run(run_id).data.metric_dict == {"loss": 0.5}
        b.log_metric(run_id, "loss", 0.25, step=2, synchronous=True)
        assert [m.value for m in a.get_metric_history(run_id, "loss")] == [0.5, 0.25]
        a.log_param(run_id, "lr", 0.01, synchronous=True)
        b.set_tag(run_id, "stage", "replica", synchronous=True)
        seen_by_b, seen_by_a = b.get_run(run_id).data, a.get_run(run_id).data
        assert seen_by_b.param_dict == {"lr": "0.01"}
        assert seen_by_a.tag_dict["stage"] == "replica"

        a.log_text(run_id, "written through one server", "notes/a.txt")
        assert [f.path for f in b.list_artifacts(run_id, "notes")] == ["notes/a.txt"]
        repo = b.artifact_repo_for_run(run_id)
        assert repo.read_bytes("notes/a.txt") == b"written through one server"

        # No server keeps run state of its own: a run deleted through one is refused by the
        # other at once (it had the run cached from the writes above), and restored likewise.
        b.delete_run(run_id)
        with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
            a.log_metric(run_id, "loss", 0.125, step=3, synchronous=True)
        b.restore_run(run_id)
        a.log_metric(run_id, "loss", 0.125, step=3, synchronous=True)
        assert b.get_run(run_id).data.metric_dict == {"loss": 0.125}
        a.rename_experiment(experiment_id, "scaleout-renamed")
        assert b.get_experiment(experiment_id).name == "scaleout-renamed"
