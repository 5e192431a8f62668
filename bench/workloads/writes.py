"""Write throughput: ``RunwellClient.log_batch`` in chunks, and fluent ``log_metric`` in a loop."""

from __future__ import annotations

import harness
import runwell
from runwell import Metric, RunwellClient
from runwell.store.uri import forget_stores

BATCH = 1000


def log_batch(args: harness.Args) -> None:
    """``args.size`` points over 10 keys, logged to one run in batches of 1,000."""
    batches = harness.metric_batches(Metric, harness.batch_points(args.size), BATCH)
    seconds = []
    for rep in range(args.reps + 1):
        with harness.fresh_dir() as tmp:
            client = RunwellClient(harness.sqlite_uri(tmp / "runwell.db"))
            run_id = client.create_run(client.create_experiment("bench")).info.run_id
            with harness.Stopwatch() as watch:
                for batch in batches:
                    client.log_batch(run_id, metrics=batch)
            if rep:  # the first repetition is an untimed warm-up
                seconds.append(watch.seconds)
            forget_stores()
    harness.emit(seconds, args.size, batch=BATCH)


def log_metric(args: harness.Args) -> None:
    """``args.size`` calls of fluent ``runwell.log_metric`` on the active run."""
    seconds = []
    for rep in range(args.reps + 1):
        with harness.fresh_dir() as tmp:
            runwell.set_tracking_uri(harness.sqlite_uri(tmp / "runwell.db"))
            runwell.start_run()
            with harness.Stopwatch() as watch:
                for step in range(args.size):
                    runwell.log_metric("loss", step * 0.001, step=step)
            if rep:  # the first repetition is an untimed warm-up
                seconds.append(watch.seconds)
            runwell.end_run()
            forget_stores()
    harness.emit(seconds, args.size)
