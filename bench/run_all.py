"""Run the benchmarks: runwell against MLflow's SQL store, both on local SQLite.

    .venv/bin/python bench/run_all.py                 # everything (make bench)
    .venv/bin/python bench/run_all.py --quick         # small sizes: a smoke test
    .venv/bin/python bench/run_all.py --only search_runs --reps 3 --no-mlflow

Each workload (specs.py) runs once per side in a new process (runwell_side.py in this
interpreter, mlflow_side.py in .venv-mlflow), which times N repetitions, each on a fresh SQLite
store in a fresh temporary directory. The summary goes to the terminal; a full or partial run
also writes bench/results/latest.json and regenerates docs/benchmarks.md from it, while a
--quick run writes bench/results/quick.json only.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import report
import sides
import startup
from specs import BY_NAME, WORKLOADS, Workload, evaluate

RESULTS = sides.BENCH / "results"
DOC = sides.ROOT / "docs" / "benchmarks.md"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BY_NAME),
        metavar="NAME",
        help=f"run only this workload (repeatable): {', '.join(BY_NAME)}",
    )
    parser.add_argument("--reps", type=int, help="repetitions per workload (default: specs.py)")
    parser.add_argument("--no-mlflow", action="store_true", help="measure runwell only")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repetitions")
    return parser.parse_args(argv)


def _summary(seconds: list[float], count: int, workload: Workload) -> dict[str, Any]:
    values = [count / s if workload.rate else s * 1000 for s in seconds]
    return {
        "count": count,
        "reps": len(seconds),
        "seconds": seconds,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def measure(
    workload: Workload,
    side: sides.Side,
    size: int,
    reps: int,
    queries: int,
    fixtures: sides.Fixtures,
) -> dict[str, Any]:
    """Time one side of one workload; its summary, with the side's detail and setup time."""
    if workload.name == "import":
        env = sides.clean_env()
        seconds = startup.time_import(side.python, side.module, size, env)
        result = _summary(seconds, 1, workload)
        result["count"] = size
        result["detail"] = startup.loaded_modules(side.python, side.module, env)
        return result
    fixture = None
    setup = None
    if workload.fixture is not None:
        fixture = fixtures.path(side, workload.fixture, size)
        setup = fixtures.setup_seconds[(side.name, workload.fixture, size)]
    out = sides.run_op(
        side, workload.name, size, cwd=fixtures.root, reps=reps, queries=queries, fixture=fixture
    )
    result = _summary(out["seconds"], out["count"], workload)
    result["count"] = size
    result["detail"] = out["detail"]
    result["setup_seconds"] = setup
    return result


def run_workload(
    workload: Workload, args: argparse.Namespace, fixtures: sides.Fixtures
) -> dict[str, Any]:
    sizes = workload.sizes(args.quick)
    reps = args.reps or (2 if args.quick else workload.reps)
    queries = 5 if args.quick else workload.queries
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    row: dict[str, Any] = {"date": stamp, "runwell": None, "mlflow": None}
    chosen = [(sides.RUNWELL, sizes.runwell)]
    if not args.no_mlflow and sizes.mlflow > 0:  # 0: a workload MLflow has no counterpart of
        chosen.append((sides.MLFLOW, sizes.mlflow))
    try:
        for side, size in chosen:
            plan = f"{size:,} launches" if workload.launches else f"{size:,} x {reps}"
            print(f"[{workload.name}] {side.label}: {plan} ...", file=sys.stderr)
            row[side.name] = measure(workload, side, size, reps, queries, fixtures)
            shown = report.value_text(row[side.name]["median"], workload)
            print(f"[{workload.name}] {side.label}: median {shown}", file=sys.stderr, flush=True)
    except (sides.SideError, OSError) as exc:
        row["error"] = str(exc)
        print(f"[{workload.name}] ERROR: {exc}", file=sys.stderr)
    if row["runwell"] is not None:
        row.update(evaluate(workload, row["runwell"], row["mlflow"]))
    else:
        row.update({"speedup": None, "status": "ERROR", "problems": []})
    return row


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not args.no_mlflow and not sides.MLFLOW_PYTHON.exists():
        print(f"{sides.MLFLOW_PYTHON} is missing: run `make mlflow-env`, or pass --no-mlflow.")
        return 2
    chosen = [w for w in WORKLOADS if not args.only or w.name in args.only]
    results: dict[str, Any] = {
        "machine": report.machine_info(None if args.no_mlflow else str(sides.MLFLOW_PYTHON)),
        "quick": args.quick,
        "workloads": {},
    }
    with tempfile.TemporaryDirectory(prefix="runwell-bench-fixtures-") as tmp:
        fixtures = sides.Fixtures(Path(tmp))
        for workload in chosen:
            results["workloads"][workload.name] = run_workload(workload, args, fixtures)
    print(report.table(results))
    if args.quick:
        report.write_json(RESULTS / "quick.json", results)
        print(f"wrote {RESULTS / 'quick.json'}")
    else:
        latest = RESULTS / "latest.json"
        results = report.merge(latest, results)
        report.write_json(latest, results)
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(report.markdown(results, **report.extra_sections(RESULTS)))
        print(f"wrote {latest} and {DOC}")
    failed = any(r["status"] in ("FAIL", "ERROR") for r in results["workloads"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
