"""Where background logging goes while its server is unreachable: one journal per run.

When a request of the delivery thread fails because the server cannot be reached (it refused
the connection, or stopped answering, after the transport's own retries) the thread starts
spilling: that request and everything after it, for every run of the store, are appended to
journals in the spool directory (store/journal/, kind ``spill``) instead of being sent, and
so are run status changes (``end_run``). Nothing is dropped and the caller does not wait for
the server: an append commits in microseconds.

While spilling, the thread probes the server (``GET /health``, no retries) after 0.5 s, then
at doubling intervals up to 10 s, and at once on every ``flush()`` (reads flush first, so a
script that reads sees its writes once the server is back). When the server answers, each
journal is replayed to it in order (store/journal/sync.py, as ``runwell sync`` would) and
removed; once all are delivered, values go straight to the server again. If the process ends
while the server is still down, the journals stay and a message says how to deliver them:
``runwell sync`` (they record the server they belong to).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runwell.entities import Metric, Param, RunStatus, RunTag
from runwell.errors import ErrorCode, RunwellError, Unavailable
from runwell.store.protocols import TrackingStore

# The journal modules (sqlite3, shutil, uuid) load when a spill starts: `import runwell` stays
# light, and a process whose server never goes away never loads them.

if TYPE_CHECKING:
    from runwell.store.journal.journal import Journal

_logger = logging.getLogger(__name__)
_FIRST_RETRY_S = 0.5
_MAX_RETRY_S = 10.0
_PROBE_TIMEOUT_S = 5.0


def unreachable(error: RunwellError | None) -> bool:
    """Whether an error means the server could not be reached (not that it refused)."""
    return isinstance(error, Unavailable) or (
        error is not None and error.code is ErrorCode.DEADLINE_EXCEEDED
    )


class Spill:
    """The spill journals of one store's writer; used by its delivery thread only."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store
        self.tracking_uri: str = getattr(store, "tracking_uri", "") or ""
        self.active = False
        self.journals: dict[str, Journal] = {}
        self._delay = _FIRST_RETRY_S
        self._retry_at = 0.0

    def start(self, cause: RunwellError) -> None:
        if self.active:
            return
        from runwell.store.journal import spool

        self.active = True
        self._delay = _FIRST_RETRY_S
        self._retry_at = time.monotonic() + self._delay
        _logger.warning(
            "runwell: the tracking server %s is unreachable (%s); logging goes on into "
            "journals under %s and is delivered when the server is back.",
            self.tracking_uri,
            cause,
            spool.spool_dir(),
        )

    # ---------------------------------------------------------------- writing

    def _journal(self, run_id: str) -> Journal:
        found = self.journals.get(run_id)
        if found is not None:
            return found
        import uuid

        from runwell.store.journal import spool
        from runwell.store.journal.journal import Journal

        directory = spool.journal_dir(run_id)
        if directory.exists():  # an older journal of this run waits for `runwell sync`
            directory = directory.with_name(f"{run_id}.{uuid.uuid4().hex[:8]}")
        meta = {"kind": spool.SPILL, "run_id": run_id, "tracking_uri": self.tracking_uri}
        journal = self.journals[run_id] = Journal.create(directory, meta)
        return journal

    def write(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        from runwell.store.journal.format import Kind, pack_batch

        body = pack_batch(metrics, params, tags)
        self._journal(run_id).append(Kind.BATCH, body, len(metrics) + len(params) + len(tags))

    def write_status(
        self, run_id: str, status: RunStatus | None, end_time: int | None, name: str | None
    ) -> str:
        """Journal a status change; the journal's directory."""
        from runwell.store.journal.format import Kind, json_body

        change = {
            "status": None if status is None else status.name,
            "end_time": end_time,
            "run_name": name,
        }
        journal = self._journal(run_id)
        journal.append(Kind.STATUS, json_body(change), 1)
        return str(journal.directory)

    # ---------------------------------------------------------------- catching up

    def due(self) -> bool:
        return self.active and time.monotonic() >= self._retry_at

    def wait_time(self) -> float:
        return max(0.0, self._retry_at - time.monotonic())

    def catch_up(self) -> bool:
        """Deliver every journal if the server answers; True when spilling is over."""
        import shutil

        from runwell.store.journal.sync import sync_journal

        if not self._reachable():
            self._later()
            return False
        for run_id, journal in list(self.journals.items()):
            try:
                sync_journal(journal, self.store, self.tracking_uri, owner=True)
            except RunwellError as exc:
                if unreachable(exc):
                    self._later()
                    return False
                # The server refuses the journal as a whole (its run was deleted...): keep it
                # on disk for `runwell sync` to report, and stop writing to it.
                _logger.warning(
                    "runwell: could not deliver the journal %s: %s", journal.directory, exc
                )
                journal.set_meta("exited", str(int(time.time() * 1000)))
                journal.close()
                del self.journals[run_id]
                continue
            directory = journal.directory
            journal.close()
            shutil.rmtree(directory, ignore_errors=True)
            del self.journals[run_id]
        self.active = False
        _logger.warning(
            "runwell: the tracking server %s is back; what was logged meanwhile is delivered.",
            self.tracking_uri,
        )
        return True

    def _later(self) -> None:
        self._delay = min(_MAX_RETRY_S, self._delay * 2)
        self._retry_at = time.monotonic() + self._delay

    def _reachable(self) -> bool:
        transport = getattr(self.store, "transport", None)
        if transport is None:
            return True  # not a server: just try
        from runwell.store.rest.transport import Transport

        probe = Transport(transport.base_url, max_retries=0, timeout=_PROBE_TIMEOUT_S)
        try:
            probe.send("GET", "/health")
        except RunwellError:
            return False
        finally:
            probe.close()
        return True

    # ---------------------------------------------------------------- exit

    def leave(self) -> None:
        """At exit with the server still down: keep the journals and say where they are."""
        if not self.journals:
            return
        for journal in self.journals.values():
            journal.set_meta("exited", str(int(time.time() * 1000)))
            journal.close()
        places = ", ".join(str(j.directory) for j in self.journals.values())
        self.journals.clear()
        print(
            f"runwell: the tracking server {self.tracking_uri} is still unreachable; what was "
            f"logged since it went away is kept in {places}. Deliver it with "
            f"`runwell sync --tracking-uri {self.tracking_uri}` once the server is back.",
            file=sys.stderr,
            flush=True,
        )
