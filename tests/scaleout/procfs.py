"""Which processes of a multi-worker server accept connections, read from Linux's /proc.

uvicorn's ``--workers N`` parent binds the listening socket and hands it to N child processes;
the kernel gives each new connection to whichever child accepts it first. To prove that N
workers really serve, ``probe_worker`` opens a connection, sends an incomplete request so the
connection stays open, finds the accepted socket's inode in /proc/net/tcp and the worker whose
file descriptors hold it, then completes the request and reads the worker's answer.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

_LISTEN = "0A"
_ESTABLISHED = "01"


@dataclass(frozen=True)
class TcpSocket:
    local_port: int
    remote_port: int
    state: str
    inode: int


def tcp_sockets() -> list[TcpSocket]:
    """IPv4 TCP sockets of this network namespace (the server binds 127.0.0.1)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        found.append(
            TcpSocket(
                local_port=int(fields[1].rsplit(":", 1)[1], 16),
                remote_port=int(fields[2].rsplit(":", 1)[1], 16),
                state=fields[3],
                inode=int(fields[9]),
            )
        )
    return found


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets among ``pid``'s open file descriptors."""
    inodes: set[int] = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return inodes
    for fd in descriptors:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces: parse after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return sorted(found)


def worker_pids(server_pid: int, port: int) -> list[int]:
    """Children of the server process that hold its listening socket: the workers."""
    listening = {s.inode for s in tcp_sockets() if s.local_port == port and s.state == _LISTEN}
    return [pid for pid in children(server_pid) if socket_inodes(pid) & listening]


def _accepted_inode(port: int, client_port: int) -> int:
    """The inode of the server side of our connection; 0 until a worker accepted it."""
    for s in tcp_sockets():
        if s.local_port == port and s.remote_port == client_port and s.state == _ESTABLISHED:
            return s.inode
    return 0


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def probe_worker(port: int, workers: list[int], timeout_s: float = 5.0) -> tuple[int, bytes]:
    """(pid of the worker that accepted a new connection, its full answer to GET /health)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        # Headers without their final blank line: the worker accepts and waits for the rest.
        sock.sendall(
            f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n".encode()
        )
        client_port = sock.getsockname()[1]
        deadline = time.monotonic() + timeout_s
        owner = 0
        while not owner:
            inode = _accepted_inode(port, client_port)
            if inode:
                owner = next((pid for pid in workers if inode in socket_inodes(pid)), 0)
            if not owner:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no worker accepted connection :{client_port}")
                time.sleep(0.002)
        sock.sendall(b"\r\n")
        return owner, _read_all(sock)


def probe_until_all_answer(
    port: int, workers: list[int], *, max_probes: int = 2000, timeout_s: float = 30.0
) -> dict[int, int]:
    """Probe until every worker has answered once (bounded); pid -> answers seen."""
    seen = dict.fromkeys(workers, 0)
    deadline = time.monotonic() + timeout_s
    for _ in range(max_probes):
        pid, answer = probe_worker(port, workers)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
        assert answer.endswith(b"\r\n\r\nOK"), answer[-200:]
        seen[pid] += 1
        if all(seen.values()) or time.monotonic() > deadline:
            break
    return seen
