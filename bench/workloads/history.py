"""Reading back a long metric: ``get_metric_history`` of one key with a million points."""

from __future__ import annotations

import harness
from runwell import Metric, RunwellClient
from runwell.store.uri import forget_stores


def populate_history(args: harness.Args) -> None:
    """Log ``args.size`` points of one key to one run in the SQLite file ``args.fixture``."""
    assert args.fixture is not None
    client = RunwellClient(f"sqlite:///{args.fixture}")
    run_id = client.create_run(client.create_experiment(harness.HISTORY_EXPERIMENT)).info.run_id
    watch = harness.Stopwatch()
    with watch:
        for chunk in harness.chunks(harness.history_points(args.size), 1000):
            client.log_batch(
                run_id,
                metrics=[Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in chunk],
            )
    forget_stores()
    harness.emit([watch.seconds], args.size, run_id=run_id)


def metric_history(args: harness.Args) -> None:
    """One ``RunwellClient.get_metric_history`` call returning every point."""
    seconds = []
    returned = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            assert args.fixture is not None
            db = tmp / "runwell.db"
            harness.copy_database(args.fixture, db)
            client = RunwellClient(harness.sqlite_uri(db))
            experiment = client.get_experiment_by_name(harness.HISTORY_EXPERIMENT)
            assert experiment is not None
            run_id = client.search_runs([experiment.experiment_id]).items[0].info.run_id
            with harness.Stopwatch() as watch:
                history = client.get_metric_history(run_id, harness.HISTORY_KEY)
            seconds.append(watch.seconds)
            returned = len(history)
            del history
            forget_stores()
    harness.emit(seconds, args.size, returned=returned)
