"""Autolog overhead: ``fit`` of a 10,000-row LogisticRegression with and without autolog.

Both sides time the same loop (``measure``, imported by ``mlflow_side.py`` too, which is why
this module imports neither runwell nor MLflow at the top): the same generated data
(``make_classification``, 20 features, seed 0), a fresh ``LogisticRegression()`` per fit,
and in each repetition a fit with autolog off and a fit with it on (their order alternating),
in one interpreter per side. The reported figure of a repetition is the difference of the
medians, the overhead (runwell: 10 pairs a repetition; MLflow: one, its overhead being
seconds); the plain fits are the baseline, so the overhead is judged against the fit time.

With autolog on and no active run, autolog starts and ends a run around the fit, which is
part of the overhead. An autologged fit is timed until its run is complete: the fit, then the
side's flush (runwell: autolog's background thread storing params, metrics, dataset and the
model, READY; MLflow: its async logging queue), so the figure is the time until the work is
stored and readable, never until it was queued; the flush alone is in the details. Each
repetition also times a fit inside a run the user started, until ``end_run`` returns.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import harness

FEATURES = 20
# runwell's fits per repetition (x2): its overhead is milliseconds. MLflow's is seconds, so
# one pair a repetition measures it.
PAIRS = 10


@dataclass(frozen=True)
class Autolog:
    """How one side turns autolog on and off, waits for it, and starts/ends a user run."""

    enable: Callable[[], None]
    disable: Callable[[], None]
    flush: Callable[[], None]
    start_run: Callable[[], Any]
    end_run: Callable[[], None]


def training_data(rows: int) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=rows, n_features=FEATURES, n_informative=FEATURES // 2, random_state=0
    )


def _fit(X: Any, y: Any) -> float:
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    LogisticRegression().fit(X, y)
    return time.perf_counter() - start


def measure(side: Autolog, rows: int, reps: int, pairs: int = 1) -> None:
    """Time ``reps`` repetitions of ``pairs`` pairs of fits; emit the overheads (see the
    module docstring). A repetition's overhead is the median autologged fit (until its run
    is complete) minus the median plain fit of its pairs: a few milliseconds of overhead
    need several fits to rise above the noise of a 10 ms fit."""
    X, y = training_data(rows)
    side.disable()
    _fit(X, y)  # untimed warm-up: imports, caches, the store's schema
    side.enable()
    _fit(X, y)
    side.flush()
    plain: list[float] = []
    logged: list[float] = []
    overhead: list[float] = []
    flushed: list[float] = []
    in_run: list[float] = []
    for rep in range(reps):
        plain_rep: list[float] = []
        logged_rep: list[float] = []
        for pair in range(pairs):
            for autolog in ((rep + pair) % 2 == 1, (rep + pair) % 2 == 0):
                if autolog:
                    side.enable()
                    start = time.perf_counter()
                    fitted = start + _fit(X, y)
                    side.flush()  # the run is complete: params, metrics, model READY
                    done = time.perf_counter()
                    logged_rep.append(done - start)
                    flushed.append(done - fitted)
                else:
                    side.disable()
                    plain_rep.append(_fit(X, y))
        overhead.append(statistics.median(logged_rep) - statistics.median(plain_rep))
        plain.append(statistics.median(plain_rep))
        logged.append(statistics.median(logged_rep))
        side.enable()
        side.start_run()
        start = time.perf_counter()
        _fit(X, y)
        side.end_run()  # ends the run once autolog's work for it is stored
        in_run.append(time.perf_counter() - start)
    fit_ms = statistics.median(plain) * 1000
    harness.emit(
        overhead,
        rows,
        baseline_seconds=plain,
        fits_per_repetition=2 * pairs,
        fit_without_autolog_ms=round(fit_ms, 1),
        fit_with_autolog_ms=round(statistics.median(logged) * 1000, 1),
        overhead_ms=round(statistics.median(overhead) * 1000, 2),
        overhead_pct=round(statistics.median(overhead) * 1000 / fit_ms * 100, 1),
        overhead_in_user_run_ms=round(
            statistics.median([a - b for a, b in zip(in_run, plain, strict=True)]) * 1000, 2
        ),
        flush_after_fit_ms=round(statistics.median(flushed) * 1000, 1),
        features=FEATURES,
    )


def autolog_sklearn(args: harness.Args) -> None:
    """runwell's side: ``runwell.autolog()`` on a fresh SQLite store."""
    import runwell

    with harness.fresh_dir() as tmp:
        runwell.set_tracking_uri(harness.sqlite_uri(tmp / "runwell.db"))
        side = Autolog(
            enable=runwell.autolog,
            disable=lambda: runwell.autolog(disable=True),
            flush=runwell.autologging.flush,
            start_run=runwell.start_run,
            end_run=runwell.end_run,
        )
        measure(side, args.size, args.reps, pairs=PAIRS)
