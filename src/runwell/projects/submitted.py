"""A launched project process and the run it reports to.

The process starts in a session of its own (its own process group), so ``cancel()`` (and
Ctrl-C while ``wait()`` waits) stops it and every process it started: SIGTERM to the group,
SIGKILL after a grace period. Its stdout and stderr are copied as they come to this process's
stdout and stderr and to ``stdout.txt`` / ``stderr.txt``, which become the run's artifacts
under ``project-logs/`` when it ends. A watcher thread then ends the run: exit status 0 ->
FINISHED, any other -> FAILED, cancelled -> KILLED. The thread is not a daemon, so a program
that launched runs without waiting still records how they ended before it exits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from runwell.entities import RunStatus
from runwell.errors import RunwellError
from runwell.tracking.client import RunwellClient

LOGS_ARTIFACT_DIR = "project-logs"
_GRACE_S = 10.0
_DRAIN_S = 5.0  # how long to wait for output after the process ended (a child may hold the pipe)


def _pump(source: IO[bytes], log: Path, target: IO[str]) -> None:
    """Copy ``source`` to the file ``log`` and to ``target`` until end of file."""
    sink = getattr(target, "buffer", None)
    with open(log, "ab") as out:
        for chunk in iter(lambda: os.read(source.fileno(), 65536), b""):
            out.write(chunk)
            out.flush()
            try:
                if sink is not None:
                    sink.write(chunk)
                else:
                    target.write(chunk.decode("utf-8", errors="replace"))
                target.flush()
            except (OSError, ValueError):  # the terminal went away; keep the log
                pass
    source.close()


class SubmittedRun:
    """A project run in progress: ``run_id``, ``wait()``, ``get_status()``, ``cancel()``."""

    def __init__(
        self, run_id: str, process: subprocess.Popen[bytes], client: RunwellClient, log_dir: Path
    ) -> None:
        self._run_id = run_id
        self._process = process
        self._client = client
        self._log_dir = log_dir
        self._lock = threading.Lock()
        self._cancelled = False
        self._status: RunStatus | None = None
        # Waiters wait on this event, not on joining the thread: in CPython a join that
        # Ctrl-C interrupts can leave the thread looking finished while it still works.
        self._done = threading.Event()
        self._pumps = [
            threading.Thread(target=_pump, args=(stream, log_dir / name, target), daemon=True)
            for stream, name, target in (
                (process.stdout, "stdout.txt", sys.stdout),
                (process.stderr, "stderr.txt", sys.stderr),
            )
            if stream is not None
        ]
        for pump in self._pumps:
            pump.start()
        self._watcher = threading.Thread(target=self._finish, name=f"runwell-project-{run_id}")
        self._watcher.start()

    @property
    def run_id(self) -> str:
        """The id of the run the project reports to."""
        return self._run_id

    @property
    def pid(self) -> int:
        """The process id of the project's command (the leader of its process group)."""
        return self._process.pid

    def wait(self) -> bool:
        """Wait for the process and for its run to be ended; whether it FINISHED.

        Ctrl-C while waiting cancels the run (KILLED) and is raised again.
        """
        try:
            while not self._done.wait(0.2):
                pass
        except KeyboardInterrupt:
            self.cancel()
            raise
        return self._status is RunStatus.FINISHED

    def get_status(self) -> str:
        """``RUNNING`` until the run is ended, then ``FINISHED``, ``FAILED`` or ``KILLED``."""
        status = self._status
        return (status or RunStatus.RUNNING).name

    def cancel(self) -> None:
        """Stop the process and its children and end the run as KILLED (no-op once ended)."""
        with self._lock:
            ended = self._status is not None or self._process.poll() is not None
            if not ended:
                self._cancelled = True
        if ended:  # it ended on its own: its status stands
            self._done.wait()
            return
        if self._process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=_GRACE_S)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
        self._signal(signal.SIGKILL)  # whatever of the group outlived its leader
        self._done.wait()

    def _signal(self, number: int) -> None:
        try:
            os.killpg(self._process.pid, number)
        except (ProcessLookupError, PermissionError):
            pass

    def _finish(self) -> None:
        try:
            self._end_run()
        finally:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._done.set()

    def _end_run(self) -> None:
        code = self._process.wait()
        for pump in self._pumps:
            pump.join(_DRAIN_S)
        with self._lock:
            if self._cancelled:
                status = RunStatus.KILLED
            else:
                status = RunStatus.FINISHED if code == 0 else RunStatus.FAILED
        try:
            self._client.log_artifacts(self._run_id, str(self._log_dir), LOGS_ARTIFACT_DIR)
        except (RunwellError, OSError) as error:
            print(f"Could not keep the project's output as artifacts: {error}", file=sys.stderr)
        try:
            self._client.set_terminated(self._run_id, status)
        except RunwellError as error:
            print(f"Could not end run {self._run_id} as {status.name}: {error}", file=sys.stderr)
        finally:
            self._status = status
