"""``runwell server`` as a child process, for tests of the command and of memory use.

The server is started with ``--port 0`` and the port read back from uvicorn's start-up line,
so there is no free-port race.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_RUNNING = re.compile(r"Uvicorn running on http://([\d.]+):(\d+)")
RUNWELL = str(Path(sys.executable).with_name("runwell"))


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    started_in_s: float = 0.0

    def peak_rss_kib(self) -> int:
        """The process's peak resident set size (VmHWM) so far."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc status")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")


def _pump(server: ServerProcess, ready: threading.Event) -> None:
    assert server.process.stderr is not None
    for line in server.process.stderr:
        server.lines.append(line)
        found = _RUNNING.search(line)
        if found and not server.url:
            server.url = f"http://{found.group(1)}:{found.group(2)}"
            ready.set()
    ready.set()


def _wait_healthy(server: ServerProcess, deadline: float) -> None:
    """Workers listen a little after the main process logs its address."""
    while True:
        try:
            if httpx.get(server.url + "/health", timeout=2).text == "OK":
                return
        except httpx.TransportError:
            pass
        if time.perf_counter() > deadline or server.process.poll() is not None:
            raise AssertionError("server is not healthy:\n" + "".join(server.lines))
        time.sleep(0.02)


@contextmanager
def run_server(cwd: Path, *args: str, timeout_s: float = 20.0) -> Iterator[ServerProcess]:
    """Start ``runwell server --port 0 ARGS`` in ``cwd``; stop it (SIGTERM) on exit.

    The port is read from uvicorn's INFO start-up line: keep ``--log-level`` at info.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWELL_SERVER_")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [RUNWELL, "server", "--port", "0", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = ServerProcess(process)
    ready = threading.Event()
    pump = threading.Thread(target=_pump, args=(server, ready), daemon=True)
    pump.start()
    try:
        if not ready.wait(timeout_s) or not server.url:
            raise AssertionError("server did not start:\n" + "".join(server.lines))
        _wait_healthy(server, started + timeout_s)
        server.started_in_s = time.perf_counter() - started
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        pump.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
