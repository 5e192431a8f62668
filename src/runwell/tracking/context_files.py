"""The slow part of a new run's context, captured in a background thread.

- ``mlflow.source.git.dirty`` (``true``/``false``: tracked files differ from HEAD; untracked
  files do not count, as in MLflow) and, when dirty, ``runwell-context/git-diff.patch``: the
  output of ``git diff HEAD`` (staged and unstaged changes), cut at ``MAX_DIFF_BYTES`` on a
  line end, with a closing ``# runwell:`` line and the tag ``runwell.source.git.diffTruncated``
  when it was cut.
- ``runwell-context/requirements.txt``: every installed distribution as ``name==version``,
  sorted by name (what ``pip freeze`` pins), read with ``importlib.metadata`` once per process.

``start_run`` starts the capture and returns; ``end_run`` hurries it without waiting (a
short run is not held up by git or the package scan), and the next read, flush or the
interpreter's exit waits for it, so the files are in place before anything looks. A failure
is logged as a warning and never reaches the training.
Opt-outs: RUNWELL_CAPTURE_CONTEXT, RUNWELL_CAPTURE_GIT, RUNWELL_CAPTURE_GIT_DIFF,
RUNWELL_CAPTURE_REQUIREMENTS (``false`` turns the item off).
"""

from __future__ import annotations

import atexit
import functools
import logging
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from runwell import env
from runwell.entities import Run, RunTag
from runwell.store import uri as uris
from runwell.tracking import async_logging, context
from runwell.tracking.client import RunwellClient

_logger = logging.getLogger(__name__)

REQUIREMENTS_ARTIFACT = "runwell-context/requirements.txt"
GIT_DIFF_ARTIFACT = "runwell-context/git-diff.patch"
GIT_DIFF_TRUNCATED = "runwell.source.git.diffTruncated"
MAX_DIFF_BYTES = 1 << 20
_GIT_TIMEOUT_S = 60.0
# The capture waits this long (or until end_run) before it starts: a thread that begins to
# work at once keeps the GIL from start_run for up to a switch interval (5 ms).
_START_DELAY_S = 0.05


def installed_requirements() -> str:
    """Pinned ``name==version`` lines of the distributions importable now, sorted."""
    return _requirements(tuple(sys.path))


@functools.lru_cache(maxsize=4)
def _requirements(path: tuple[str, ...]) -> str:
    from importlib import metadata  # ~70 ms on a cold interpreter: only in the background

    pinned: dict[str, str] = {}
    for dist in metadata.distributions(path=list(path)):
        meta = dist.metadata
        name, version = meta["Name"], meta["Version"]
        if name and version:  # the first one on sys.path is the one Python imports
            pinned.setdefault(re.sub(r"[-_.]+", "-", name).lower(), f"{name}=={version}")
    return "".join(line + "\n" for _, line in sorted(pinned.items()))


def git_diff(directory: Path, limit: int = MAX_DIFF_BYTES) -> tuple[bytes, bool] | None:
    """``git diff HEAD`` run in ``directory``: (at most ``limit`` bytes, whether it was cut),
    or None when git fails (not installed, no commit yet)."""
    import subprocess

    command = ["git", "-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "HEAD"]
    try:
        process = subprocess.Popen(
            command, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None
    stdout = process.stdout
    assert stdout is not None
    watchdog = threading.Timer(_GIT_TIMEOUT_S, process.kill)
    watchdog.start()
    try:
        data = stdout.read(limit + 1)
        cut = len(data) > limit
        if cut:
            process.kill()
        code = process.wait()
    finally:
        watchdog.cancel()
        stdout.close()
    if cut:
        head = data[:limit]
        end = head.rfind(b"\n")
        head = head[: end + 1] if end >= 0 else head
        note = f"# runwell: diff cut at {len(head)} bytes (the limit is {limit})\n"
        return head + note.encode(), True
    return (data, False) if code == 0 else None


class ContextFiles:
    """Captures the dirty flag, the diff and the requirements of one run, in a daemon thread."""

    def __init__(
        self,
        client: RunwellClient,
        run: Run,
        *,
        synchronous: bool,
        git_directory: Path | None,
        diff: bool,
        requirements: bool,
    ) -> None:
        self._client = client
        self._run_id = run.info.run_id
        self._artifact_uri = run.info.artifact_uri
        self._synchronous = synchronous
        self._git_directory = git_directory
        self._diff = diff
        self._requirements = requirements
        self._hurry = threading.Event()
        self._thread = threading.Thread(target=self._capture, name="runwell-context", daemon=True)

    def start(self) -> ContextFiles:
        with _pending_lock:
            _pending.add(self)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Capture now rather than after the start delay; the run may end meanwhile.

        end_run does not wait: the files land on the ended run, and the next read, flush or
        interpreter exit waits for them (wait_for_pending, a flush hook).
        """
        self._hurry.set()

    def wait(self, timeout: float) -> None:
        if self._thread is threading.current_thread():
            return
        self._hurry.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            _logger.warning(
                "Capturing the context of run %s took over %s s.", self._run_id, timeout
            )

    def _capture(self) -> None:
        try:
            self._hurry.wait(_START_DELAY_S)
            if self._git_directory is not None:
                _guarded("the git diff", self._capture_git)
            if self._requirements:
                _guarded("the installed packages", self._capture_requirements)
        finally:
            with _pending_lock:
                _pending.discard(self)

    def _write(self, artifact_file: str, data: bytes) -> None:
        repo = uris.artifact_repo(self._artifact_uri, self._client.tracking_uri)
        repo.write_bytes(artifact_file, data)

    def _capture_git(self) -> None:
        assert self._git_directory is not None
        found = git_diff(self._git_directory)
        if found is None:
            return
        patch, cut = found
        tags = [RunTag(key=context.GIT_DIRTY, value=str(bool(patch)).lower())]
        if patch and self._diff:
            self._write(GIT_DIFF_ARTIFACT, patch)
            if cut:
                tags.append(RunTag(key=GIT_DIFF_TRUNCATED, value="true"))
        self._client.log_batch(self._run_id, tags=tags, synchronous=self._synchronous)

    def _capture_requirements(self) -> None:
        self._write(REQUIREMENTS_ARTIFACT, installed_requirements().encode("utf-8"))


def _guarded(what: str, call: Callable[[], None]) -> None:
    try:
        call()
    except Exception as exc:  # the context is a courtesy: never break the training for it
        _logger.warning("Could not record %s of the run: %r", what, exc)


def start(client: RunwellClient, run: Run, synchronous: bool) -> ContextFiles | None:
    """Start capturing what the environment asks for; None when there is nothing to do."""
    if not context.capture_enabled():
        return None
    git = env.flag(env.CAPTURE_GIT, True) and context.GIT_COMMIT in run.data.tags
    requirements = env.flag(env.CAPTURE_REQUIREMENTS, True)
    if not git and not requirements:
        return None
    return ContextFiles(
        client,
        run,
        synchronous=synchronous,
        git_directory=context.git_directory() if git else None,
        diff=env.flag(env.CAPTURE_GIT_DIFF, True),
        requirements=requirements,
    ).start()


_pending: set[ContextFiles] = set()
_pending_lock = threading.Lock()
WAIT_TIMEOUT_S = 120.0  # git and the package scan are bounded well below this


def wait_for_pending() -> None:
    """Block until every run's context files are logged (reads, flushes and exit call it)."""
    with _pending_lock:
        pending = list(_pending)
    for files in pending:
        files.wait(WAIT_TIMEOUT_S)


async_logging.add_flush_hook(wait_for_pending)
atexit.register(wait_for_pending)
