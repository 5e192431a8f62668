"""A ``runwell server`` child process on a fixed port, so a test can SIGKILL and restart it.

The port is found free once, then reused by every start: clients keep the same URL across
the outage, as they would with a real server that crashed and came back.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RUNWELL = str(Path(sys.executable).with_name("runwell"))
_START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Restartable:
    """``runwell server`` over ``db_url`` (default: ``db``, an SQLite file in ``directory``) on
    one port, with ``workers`` processes; ``start``, ``kill`` (SIGKILL), ``stop`` (SIGTERM)."""

    def __init__(self, directory: Path, db_url: str | None = None, workers: int = 1) -> None:
        self.directory = directory
        self.db = directory / "server.db"
        self.db_url = db_url or f"sqlite:///{self.db}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.workers = workers

    def start(self) -> None:
        self.starts += 1
        log = (self.directory / f"server-{self.starts}.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWELL_SERVER_")}
        command = [RUNWELL, "server", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--backend-store-uri", self.db_url, "--log-level", "warning"]
        command += ["--artifacts-destination", str(self.directory / "artifacts")]
        command += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command,
            cwd=self.directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches every worker
        )
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = (self.directory / f"server-{self.starts}.log").read_text()
                raise AssertionError(f"the server did not start:\n{text}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL of the server and its workers: no shutdown, no flush, connections cut."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@contextmanager
def running(directory: Path, **options: Any) -> Iterator[Restartable]:
    """A started ``Restartable`` in ``directory`` (made here), stopped on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    process = Restartable(directory, **options)
    process.start()
    try:
        yield process
    finally:
        process.stop()
