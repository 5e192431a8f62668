"""What both sides of a benchmark share: arguments, fresh stores, the data shapes, the output.

This module uses only the standard library, because it is imported by ``runwell_side.py``
(runwell's virtualenv) and by ``mlflow_side.py`` (MLflow's virtualenv, where runwell is not
installed). Both sides generate the same data from the same seeds, so runwell and MLflow are
timed on identical inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH_RESULT "
BASE_TIMESTAMP = 1_700_000_000_000
SEARCH_EXPERIMENT = "bench-search"
HISTORY_EXPERIMENT = "bench-history"
HISTORY_KEY = "loss"
METRIC_KEYS = 10
PARAM_VALUES = ("a", "b", "c")
SEARCH_FILTER = "metrics.m1 > 0.5 and params.p1 = 'a'"
SEARCH_ORDER_BY = ("metrics.m2 DESC",)
SEARCH_MAX_RESULTS = 100


@dataclass(frozen=True)
class Args:
    """The arguments of one side-script call: an operation, its size, and where its data is."""

    op: str
    reps: int
    size: int
    queries: int
    fixture: str | None


def parse_args(argv: list[str] | None = None) -> Args:
    parser = argparse.ArgumentParser(description="Run one benchmark operation; print JSON.")
    parser.add_argument("op")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--fixture", default=None, help="SQLite file made by a populate op")
    ns = parser.parse_args(argv)
    return Args(ns.op, ns.reps, ns.size, ns.queries, ns.fixture)


def emit(seconds: list[float], count: int, **detail: Any) -> None:
    """Print one result line: per-repetition seconds for ``count`` units of work each."""
    payload = {"seconds": seconds, "count": count, "detail": detail}
    print(RESULT_PREFIX + json.dumps(payload), flush=True)


def main(ops: dict[str, Callable[[Args], None]]) -> None:
    """The entry point of a side script: run the named operation."""
    args = parse_args()
    if args.op not in ops:
        sys.exit(f"unknown operation {args.op!r}; expected one of {sorted(ops)}")
    ops[args.op](args)


# ------------------------------------------------------------------ stores


@contextlib.contextmanager
def fresh_dir() -> Iterator[Path]:
    """A new, empty temporary directory for one repetition, removed afterwards.

    The disk is synced first, so that the write-back of earlier repetitions (or of a fixture
    just built) does not slow the syncs timed in this one: each repetition starts on a quiet
    disk, on both sides.
    """
    os.sync()
    path = Path(tempfile.mkdtemp(prefix="runwell-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def copy_database(source: str, target: Path) -> None:
    """Copy a populated SQLite store with the backup API (consistent even with a WAL beside it)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def sqlite_uri(path: Path) -> str:
    return f"sqlite:///{path}"


# ------------------------------------------------------------------ timing


def median_latency(query: Callable[[], int], queries: int) -> tuple[float, int]:
    """The median seconds of ``queries`` calls of ``query`` after one warm-up call; its result."""
    found = query()
    latencies = []
    for _ in range(queries):
        with Stopwatch() as watch:
            query()
        latencies.append(watch.seconds)
    return statistics.median(latencies), found


def metric_batches(
    metric: Callable[..., Any], points: list[tuple[str, float, int, int]], size: int
) -> list[list[Any]]:
    """``points`` as lists of ``size`` metric objects, made by ``metric`` (either side's class)."""
    return [
        [metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in chunk]
        for chunk in chunks(points, size)
    ]


class Stopwatch:
    """Accumulates the seconds spent inside ``with watch:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


# ------------------------------------------------------------------ data shapes


def batch_points(count: int) -> list[tuple[str, float, int, int]]:
    """``count`` points over METRIC_KEYS keys (m0..m9): each step logs every key once."""
    return [
        (
            f"m{i % METRIC_KEYS}",
            (i % 997) / 997,
            BASE_TIMESTAMP + i // METRIC_KEYS,
            i // METRIC_KEYS,
        )
        for i in range(count)
    ]


def history_points(count: int) -> list[tuple[str, float, int, int]]:
    """``count`` points of one key, one per step."""
    return [(HISTORY_KEY, (i % 997) / 997, BASE_TIMESTAMP + i, i) for i in range(count)]


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class RunShape:
    """One search-benchmark run: 5 tags, 10 params p0..p9 in a/b/c, 10 metrics m0..m9 in [0, 1)."""

    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]


def search_runs_data(count: int, seed: int = 42) -> Iterator[RunShape]:
    rng = random.Random(seed)
    for _ in range(count):
        yield RunShape(
            tags={f"t{j}": f"v{rng.randrange(3)}" for j in range(5)},
            params={f"p{j}": rng.choice(PARAM_VALUES) for j in range(10)},
            metrics={f"m{j}": rng.random() for j in range(METRIC_KEYS)},
        )
