"""A throw-away single-node Ceph cluster (memstore) with a RADOS Gateway on loopback, for tests.

The S3 artifact repository is tested against a real S3-compatible server rather than a fake:
Ceph's RADOS Gateway from Debian's packages (``ceph-mon ceph-osd radosgw ceph-common``).
``start_cluster(directory)`` brings up one monitor, one OSD that keeps its objects in memory and
one gateway, all bound to 127.0.0.1 on free ports, creates an S3 user and returns a
``CephCluster`` whose ``stop()`` ends the daemons by their process ids. It takes about 12 s.

The recipe follows /work/shared/reference/ceph-rgw-single-node.sh, with two lessons from it:
with authentication off, all four ``ms ... mode`` settings must be ``crc secure`` or the
gateway hangs at start; and the daemons run in the foreground here (``-f``) so that the ids we
hold are the daemons' own and nothing outlives ``stop()``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

TOOLS = ("ceph-mon", "ceph-osd", "radosgw", "ceph", "ceph-authtool", "monmaptool", "radosgw-admin")
INSTALL_HINT = (
    "apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common "
    "(or scripts/install-system-deps.sh)"
)
ACCESS_KEY = "runwell-test"
SECRET_KEY = "runwell-test-secret"
_STEP_TIMEOUT_S = 90.0


class CephUnavailable(RuntimeError):
    """The Ceph packages are missing or the cluster did not come up."""


@dataclasses.dataclass
class CephCluster:
    """A running cluster: its gateway's endpoint, an S3 user's keys and the daemons to stop."""

    directory: Path
    endpoint_url: str
    access_key: str
    secret_key: str
    processes: list[subprocess.Popen[bytes]] = dataclasses.field(default_factory=list)
    started_in_s: float = 0.0

    def stop(self) -> None:
        """SIGTERM each daemon by pid (gateway first), then SIGKILL any that linger."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 3  # memstore: nothing to flush
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _free_ports(count: int) -> list[int]:
    """Ports the kernel hands out now; held together so that they are distinct."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _config(directory: Path, fsid: str, mon_host: str, rgw_port: int) -> str:
    d = directory
    return f"""[global]
fsid = {fsid}
mon host = {mon_host}
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
ms client mode = crc secure
ms mon cluster mode = crc secure
ms cluster mode = crc secure
keyring = {d}/keyring
run dir = {d}/run
admin socket = {d}/run/$name.asok
log file = {d}/log/$name.log
pid file = {d}/run/$name.pid
mon data = {d}/mon.$id
osd data = {d}/osd.$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port} tcp_nodelay=1
"""


class _Starter:
    """Runs the bring-up steps in one directory, reporting the failing step with its output."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.conf = str(directory / "ceph.conf")

    def run(self, *args: str) -> str:
        try:
            done = subprocess.run(
                args,
                cwd=self.directory,
                capture_output=True,
                timeout=_STEP_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CephUnavailable(f"`{' '.join(args)}` did not finish in {exc.timeout} s") from exc
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            raise CephUnavailable(f"`{' '.join(args)}` failed ({done.returncode}): {output}")
        return done.stdout.decode().strip()

    def daemon(self, *args: str) -> subprocess.Popen[bytes]:
        name = args[0]
        with (self.directory / "log" / f"{name}.out").open("ab") as out:
            return subprocess.Popen(args, cwd=self.directory, stdout=out, stderr=out)


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CephUnavailable(f"radosgw exited ({process.returncode}): {_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the gateway is serving
        except OSError:
            time.sleep(0.25)
    raise CephUnavailable(f"radosgw did not answer on {url}: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def start_cluster(directory: Path) -> CephCluster:
    """Start mon + memstore OSD + gateway in a fresh ``directory``; stop them again on failure."""
    began = time.monotonic()
    missing = missing_tools()
    if missing:
        raise CephUnavailable(f"missing {', '.join(missing)}: {INSTALL_HINT}")
    shutil.rmtree(directory, ignore_errors=True)
    for sub in ("run", "log"):
        (directory / sub).mkdir(parents=True)
    mon_v2, mon_v1, rgw_port = _free_ports(3)
    mon_addr = f"[v2:127.0.0.1:{mon_v2},v1:127.0.0.1:{mon_v1}]"
    fsid = str(uuid.uuid4())
    (directory / "ceph.conf").write_text(_config(directory, fsid, mon_addr, rgw_port))
    step = _Starter(directory)
    cluster = CephCluster(directory, f"http://127.0.0.1:{rgw_port}", ACCESS_KEY, SECRET_KEY)
    try:
        _bring_up(step, cluster, fsid, mon_addr)
    except BaseException:
        cluster.stop()
        raise
    cluster.started_in_s = time.monotonic() - began
    return cluster


def _bring_up(step: _Starter, cluster: CephCluster, fsid: str, mon_addr: str) -> None:
    conf = step.conf
    step.run("ceph-authtool", "--create-keyring", "keyring", "--gen-key", "-n", "mon.")
    step.run("ceph-authtool", "keyring", "--gen-key", "-n", "client.admin")
    step.run("ceph-authtool", "keyring", "--gen-key", "-n", "client.rgw.a")
    step.run("monmaptool", "--create", "--addv", "a", mon_addr, "--fsid", fsid, "monmap")
    step.run("ceph-mon", "-c", conf, "--mkfs", "-i", "a", "--monmap", "monmap")
    cluster.processes.append(step.daemon("ceph-mon", "-f", "-c", conf, "-i", "a"))
    osd_uuid = str(uuid.uuid4())
    osd_id = step.run("ceph", "-c", conf, "--connect-timeout", "60", "osd", "new", osd_uuid)
    (step.directory / f"osd.{osd_id}").mkdir()
    step.run("ceph-osd", "-c", conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
    cluster.processes.append(step.daemon("ceph-osd", "-f", "-c", conf, "-i", osd_id))
    gateway = step.daemon("radosgw", "-f", "-c", conf, "-n", "client.rgw.a")
    cluster.processes.append(gateway)
    _wait_http(cluster.endpoint_url + "/", gateway, step.directory / "log" / "client.rgw.a.log")
    step.run(
        "radosgw-admin",
        "-c",
        conf,
        "user",
        "create",
        "--uid=runwell",
        "--display-name=runwell tests",
        f"--access-key={cluster.access_key}",
        f"--secret={cluster.secret_key}",
    )
