"""Building blocks of the scale-out tests: a throw-away PostgreSQL database, a multi-worker
``runwell server`` whose workers are known by pid, and client processes.

    with postgres_database("multi") as db_url, multi_worker_server(tmp, 4, db_url, dest) as s:
        s.worker_pids   # the 4 processes holding the listening socket

The database gets a unique name (xdist worker + random suffix), so concurrent sessions never
share one, and is dropped with ``FORCE`` afterwards. Without a PostgreSQL server the tests skip
locally and fail in CI (CI=true), as the contract suite's databases do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from runwell.store.sql import engine as engines
from tests.scaleout import procfs
from tests.server.cli_process import ServerProcess, run_server

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO_ROOT = Path(__file__).resolve().parents[2]
_WORKERS_START_S = 60.0


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL server not available: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI requires it)")
    pytest.skip(message)


@contextmanager
def postgres_database(label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test module; its URL, dropped on exit."""
    base = os.environ.get("RUNWELL_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"runwell_scaleout_{label}_{worker}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(engines.normalize_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unavailable(str(exc.orig))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        # This process's own pools first; FORCE ends any connection a server left behind.
        engines.dispose_all()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass
class MultiWorkerServer:
    """A running ``runwell server --workers N`` and the pids of its worker processes."""

    process: ServerProcess
    port: int
    worker_pids: list[int]

    @property
    def url(self) -> str:
        return self.process.url


def _wait_for_workers(server: ServerProcess, workers: int) -> list[int]:
    """Every worker logged its start and holds the listening socket."""
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + _WORKERS_START_S
    while True:
        started = sum("Started server process" in line for line in list(server.lines))
        pids = procfs.worker_pids(server.process.pid, port)
        if started >= workers and len(pids) == workers:
            return pids
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise AssertionError(
                f"{started} of {workers} workers started, {len(pids)} hold the socket:\n"
                + "".join(server.lines)
            )
        time.sleep(0.05)


@contextmanager
def multi_worker_server(
    cwd: Path, workers: int, db_url: str, destination: str, *extra: str
) -> Iterator[MultiWorkerServer]:
    """``runwell server --workers N`` on a free loopback port, once every worker is up."""
    args = [
        "--workers",
        str(workers),
        "--backend-store-uri",
        db_url,
        "--artifacts-destination",
        destination,
        *extra,
    ]
    with run_server(cwd, *args, timeout_s=60) as server:
        pids = _wait_for_workers(server, workers) if workers > 1 else [server.process.pid]
        yield MultiWorkerServer(server, int(server.url.rsplit(":", 1)[1]), pids)


def start_clients(
    url: str, experiment_id: str, shared: Sequence[str], workdir: Path, processes: int
) -> list[subprocess.Popen[str]]:
    """``processes`` runs of ``tests/scaleout/load_client.py``, started together."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    clients = []
    for process in range(processes):
        spec = {
            "url": url,
            "process": process,
            "experiment_id": experiment_id,
            "shared": list(shared),
            "workdir": str(workdir),
        }
        clients.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.scaleout.load_client", json.dumps(spec)],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return clients


def own_runs(clients: list[subprocess.Popen[str]], timeout_s: float = 120.0) -> list[str]:
    """Wait for every client; the run each one created (in process order)."""
    deadline = time.monotonic() + timeout_s
    runs = []
    for client in clients:
        try:
            out, err = client.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in clients:
                other.kill()
            raise
        assert client.returncode == 0, err
        runs.append(json.loads(out.strip().splitlines()[-1])["run_id"])
    return runs
