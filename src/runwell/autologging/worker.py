"""Autolog's background thread: the slow part of autologging, off the training call.

Saving and uploading a model, hashing a dataset and creating a search's child runs take tens
of milliseconds, often more than fitting a small model; even training metrics and one batch
of params cost a few. The patched call picks the run and takes what the job needs (a copy of
the model, the training data) and queues the logging here, as a job bound to the run it logs
into; one daemon thread runs the jobs in order.

``flush()`` (``runwell.autologging.flush()``) blocks until every job queued before it is done;
interpreter exit flushes too. A job's error is reported as autolog's warning (once) and never
reaches the user's code. With ``synchronous=True`` in an integration's settings, its jobs run
inline instead, before the patched call returns.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401  (its exit hook first: see the end of the module)
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from runwell.autologging import patching
from runwell.tracking import async_logging

Job = Callable[[], None]


class Worker:
    """One queue of jobs and the daemon thread that runs them (started on the first job)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, str, Job] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, integration: str, what: str, job: Job) -> None:
        """Queue ``job``; ``what`` names it in the warning if it fails."""
        self._start()
        self._queue.put((integration, what, job))

    def flush(self) -> None:
        """Wait until every job queued so far has run."""
        if self._thread is not None and self._thread is not threading.current_thread():
            self._queue.join()

    def stop(self) -> None:
        """Run what is queued, then end the thread."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(None)
        thread.join()
        self._thread = None

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._loop, name="runwell-autolog", daemon=True)
                thread.start()
                self._thread = thread

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                run(*item)
            finally:
                self._queue.task_done()


def run(integration: str, what: str, job: Job) -> None:
    """Run one job; its failure becomes autolog's warning."""
    try:
        with patching.autolog_call():  # library calls a job makes are not autologged
            job()
    except Exception as exc:
        patching.report_failure(integration, what, exc)


_worker = Worker()


def submit(integration: str, what: str, job: Job, synchronous: bool = False) -> None:
    """Run ``job`` in the background (or now, when ``synchronous``)."""
    if synchronous:
        run(integration, what, job)
    else:
        _worker.submit(integration, what, job)


def flush() -> None:
    """Block until autolog's queued work (models, datasets, child runs) is logged."""
    _worker.flush()


def _after_fork(*_: Any) -> None:
    # The child has no worker thread; what the parent queued stays the parent's to log.
    global _worker
    _worker = Worker()


# Interpreter exit runs autolog's last jobs before it shuts the thread pools down: a job's
# upload (parallel HTTP or S3 transfers) submits to an executor, which refuses new work after
# concurrent.futures' own exit hook. threading's exit hooks run last-registered first, before
# the interpreter joins its threads and long before atexit's; importing concurrent.futures'
# thread module first registers its hook before this one.
threading._register_atexit(flush)  # type: ignore[attr-defined]
atexit.register(flush)
# Reads, flushes and end_run of the fluent API see what autolog logged in the background.
async_logging.add_flush_hook(flush)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
