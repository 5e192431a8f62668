"""Offline logging and the bounded background queue: journal writes, sync, call overhead."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness
import runwell
import server_ops
from runwell import RunwellClient
from runwell.entities import Metric
from runwell.store.uri import forget_stores
from runwell.tracking import fluent
from workloads import server

BATCH = 1000
FLUENT_CALLS = 100_000
RUNWELL = str(Path(sys.executable).parent / "runwell")


def _offline(tmp: Path) -> None:
    """Offline mode into ``tmp/spool``, for runs meant for the SQLite file beside it."""
    os.environ["RUNWELL_MODE"] = "offline"
    os.environ["RUNWELL_SPOOL_DIR"] = str(tmp / "spool")
    os.environ["RUNWELL_TRACKING_URI"] = harness.sqlite_uri(tmp / "target.db")


def _online() -> None:
    fluent.reset()
    forget_stores()  # closes the journals (their writer locks)
    for name in ("RUNWELL_MODE", "RUNWELL_SPOOL_DIR", "RUNWELL_TRACKING_URI"):
        os.environ.pop(name, None)


def offline_write(args: harness.Args) -> None:
    """``log_batch`` of 1,000 points per call into an offline run, until all are committed.

    Each repetition also times ``FLUENT_CALLS`` fluent ``log_metric`` calls into another
    offline run (flushed), reported in the details.
    """
    batches = harness.metric_batches(Metric, harness.batch_points(args.size), BATCH)
    seconds: list[float] = []
    fluent_rates: list[float] = []
    for rep in range(args.reps + 1):
        with harness.fresh_dir() as tmp:
            _offline(tmp)
            client = RunwellClient()
            run_id = client.create_run("0").info.run_id
            with harness.Stopwatch() as watch:
                for batch in batches:
                    client.log_batch(run_id, metrics=batch)
                client.flush()
            client.set_terminated(run_id)
            runwell.start_run()
            with harness.Stopwatch() as calls:
                for step in range(FLUENT_CALLS):
                    runwell.log_metric("loss", step * 0.001, step=step)
                runwell.flush()
            runwell.end_run()
            _online()
            if rep:  # the first repetition is an untimed warm-up
                seconds.append(watch.seconds)
                fluent_rates.append(round(FLUENT_CALLS / calls.seconds))
    harness.emit(seconds, args.size, batch=BATCH, fluent_log_metric_calls_per_s=fluent_rates)


def _journal(tmp: Path, size: int) -> Path:
    """An ended offline run of ``size`` points (10 keys) in ``tmp/spool``; the spool."""
    _offline(tmp)
    client = RunwellClient()
    run_id = client.create_run("0").info.run_id
    for batch in harness.metric_batches(Metric, harness.batch_points(size), BATCH):
        client.log_batch(run_id, metrics=batch, synchronous=True)
    client.set_terminated(run_id)
    _online()
    return tmp / "spool"


def offline_sync(args: harness.Args) -> None:
    """``runwell sync`` (the command, a new process) of an offline run to a local server."""
    seconds: list[float] = []
    returned = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            spool = _journal(tmp, args.size)
            with server_ops.server(server.command, tmp, tmp / "s.db") as s:
                command = [RUNWELL, "sync", "--tracking-uri", s.url, str(spool)]
                with harness.Stopwatch() as watch:
                    subprocess.run(command, check=True, capture_output=True)
                seconds.append(watch.seconds)
                client = RunwellClient(s.url)
                run = client.search_runs(["0"]).items[0]
                returned = sum(
                    len(client.get_metric_history(run.info.run_id, f"m{k}"))
                    for k in range(harness.METRIC_KEYS)
                )
                forget_stores()
    harness.emit(seconds, args.size, points_on_server=returned)


def log_metric_overhead(args: harness.Args) -> None:
    """The time of each fluent ``log_metric`` call to a server (asynchronous, the default).

    Reported per repetition as the median call's seconds, so the summary's rate is one over
    the median call time; the 99th percentile and the time ``end_run`` then took to deliver
    everything are in the details.
    """
    medians: list[float] = []
    p99_us: list[float] = []
    end_run_ms: list[float] = []
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp, server_ops.server(server.command, tmp, tmp / "s.db") as s:
            runwell.set_tracking_uri(s.url)
            runwell.start_run()
            for step in range(200):  # warm-up: the connection, the delivery thread
                runwell.log_metric("warm-up", float(step), step=step)
            runwell.flush()
            clock = time.perf_counter_ns
            took = [0] * args.size
            for step in range(args.size):
                began = clock()
                runwell.log_metric("loss", step * 0.001, step=step)
                took[step] = clock() - began
            with harness.Stopwatch() as ending:
                runwell.end_run()
            took.sort()
            medians.append(statistics.median(took) / 1e9)
            p99_us.append(round(took[int(len(took) * 0.99)] / 1e3, 1))
            end_run_ms.append(round(ending.seconds * 1000, 1))
            _online()
    harness.emit(
        medians,
        1,
        calls=args.size,
        median_us=[round(m * 1e6, 2) for m in medians],
        p99_us=p99_us,
        end_run_ms=end_run_ms,
    )
