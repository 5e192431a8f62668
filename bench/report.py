"""The outputs of a bench run: a terminal table, ``results/*.json``, ``docs/benchmarks.md``."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from specs import WORKLOADS, Workload

_MLFLOW_FACTS = (
    "import importlib.metadata, sqlite3, sys\n"
    "print(importlib.metadata.version('mlflow'))\n"
    "print(sys.version.split()[0])\n"
    "print(sqlite3.sqlite_version)\n"
)


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(mlflow_python: str | None) -> dict[str, Any]:
    """Where and with what the figures were taken."""
    info: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _meminfo_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "runwell": importlib.metadata.version("runwell"),
        "mlflow": None,
        "mlflow_python": None,
        "mlflow_sqlite": None,
    }
    if mlflow_python is not None:
        done = subprocess.run(
            [mlflow_python, "-c", _MLFLOW_FACTS], capture_output=True, text=True, check=True
        )
        info["mlflow"], info["mlflow_python"], info["mlflow_sqlite"] = done.stdout.split()
    return info


# ------------------------------------------------------------------ formatting


def value_text(value: float | None, workload: Workload) -> str:
    if value is None:
        return "-"
    if workload.rate:
        return f"{value:,.0f} {workload.unit}"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:,.1f} ms"


def speedup_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}x"


def _speedup_cell(row: dict[str, Any], workload: Workload) -> str:
    """The speedup over MLflow or, for a workload timed against its own baseline, the ratio."""
    ratio = row.get("baseline_ratio")
    if row.get("speedup") is None and ratio is not None:
        return f"time {ratio:.2f}x {workload.baseline}"
    return speedup_text(row.get("speedup"))


def _side_text(side: dict[str, Any] | None, workload: Workload) -> str:
    return "-" if side is None else value_text(side["median"], workload)


def _rows(results: dict[str, Any]) -> list[tuple[Workload, dict[str, Any]]]:
    return [(w, results["workloads"][w.name]) for w in WORKLOADS if w.name in results["workloads"]]


def table(results: dict[str, Any]) -> str:
    """The summary for the terminal."""
    header = ("workload", "runwell median", "MLflow median", "speedup", "target", "result")
    lines = [header]
    for w, r in _rows(results):
        status = r["status"] if "error" not in r else "ERROR"
        lines.append(
            (
                w.name,
                _side_text(r.get("runwell"), w),
                _side_text(r.get("mlflow"), w),
                _speedup_cell(r, w),
                w.target_text(),
                status,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    for w, r in _rows(results):
        for problem in r.get("problems", []):
            text.append(f"{w.name}: {problem}")
        if "error" in r:
            text.append(f"{w.name}: {r['error']}")
    if results.get("quick"):
        text.append("quick run: sizes are far below the targets' sizes; verdicts are a smoke test.")
    return "\n".join(text)


def write_json(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def merge(previous: Path, results: dict[str, Any]) -> dict[str, Any]:
    """Keep earlier full-run figures for the workloads this (partial) run did not measure."""
    try:
        old = json.loads(previous.read_text())
    except (OSError, ValueError):
        return results
    merged = dict(old.get("workloads", {}))
    merged.update(results["workloads"])
    return {**results, "workloads": merged}


# ------------------------------------------------------------------ docs/benchmarks.md

_INTRO = """\
# Benchmarks

<!-- Generated by `make bench` (bench/run_all.py) from bench/results/latest.json: edit
bench/report.py or bench/specs.py, not this file. -->

runwell against MLflow on the machine below: the client and the SQL store on a local SQLite
file (the first six rows), then each side's tracking server over HTTP (the `server_*` rows).
`make bench` regenerates this page (a full run takes about half an hour, a third of it MLflow
populating 10,000 runs); `.venv/bin/python bench/run_all.py --help` lists `--only NAME`,
`--reps N`, `--no-mlflow` and `--quick` (a smoke run that leaves this page alone).
"""

_METHOD = """\
## Method

- Every repetition gets a fresh temporary directory and a fresh SQLite store:
  `sqlite:///<tmp>/runwell.db`, and `sqlite:///<tmp>/mlflow.db` through MLflow's own SQL store
  (`mlflow.set_tracking_uri`).
- Each side of each workload runs in a new process: runwell in `.venv/bin/python`, MLflow in
  `.venv-mlflow/bin/python` (runwell never imports mlflow). Both generate the same data from
  the same seeds (`bench/harness.py`).
- The write workloads (log_batch, log_metric) run one untimed repetition first, on both sides:
  on this virtual machine a process that starts after an idle spell runs its first seconds
  up to a fifth slower, which made the first timed repetition depend on what ran before.
- Only the operation is timed. Creating the store, experiment and run, building the `Metric`
  objects and populating data are not. The search and history workloads populate one store per
  side per bench run, each through its own client, and copy it (SQLite backup API) into every
  repetition's directory.
- A row reports the median of the repetitions, with the minimum and maximum in the details.
  The speedup is runwell's rate over MLflow's per unit of work (point, call, query or run), so
  it stays comparable where MLflow was measured on fewer units. `pass*`: the absolute target
  is met but the speedup target was not measured (`--no-mlflow`).
- The `server_*` workloads start each side's own server (`runwell server`, `mlflow server`)
  as a child process on a free loopback port, with the same options, and time each side's
  own client against it (the concurrent log-batch load uses one generator for both,
  `bench/load.py`).
- MLflow's telemetry is turned off (`MLFLOW_DISABLE_TELEMETRY=true`): the machine has no
  network, and it must not compete with the measured work.
"""


def _results_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| Workload | runwell (median) | MLflow (median) | Speedup | Target | Result |",
        "|---|---:|---:|---:|---|---|",
    ]
    for w, r in _rows(results):
        status = "ERROR" if "error" in r else r["status"]
        lines.append(
            f"| {w.name}: {w.title} | {_side_text(r.get('runwell'), w)} | "
            f"{_side_text(r.get('mlflow'), w)} | {_speedup_cell(r, w)} | "
            f"{w.target_text()} | **{status}** |"
        )
    return lines


def _machine_table(machine: dict[str, Any]) -> list[str]:
    mlflow = machine.get("mlflow") or "not measured"
    rows = [
        ("Date", machine["date"]),
        ("CPUs (nproc)", f"{machine['nproc']} x {machine['cpu']}"),
        ("Memory", f"{machine['memory_gib']} GiB"),
        ("OS", machine["platform"]),
        (
            "runwell",
            f"{machine['runwell']} (Python {machine['python']}, SQLite {machine['sqlite']})",
        ),
        (
            "MLflow",
            f"{mlflow} (Python {machine.get('mlflow_python') or '-'}, "
            f"SQLite {machine.get('mlflow_sqlite') or '-'})",
        ),
    ]
    return ["| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows]]


def _spread(side: dict[str, Any], w: Workload) -> str:
    size = f"{side['count']:,} {w.noun}"
    if not w.launches:
        size = f"{side['reps']} repetitions of {size}"
    return (
        f"median {value_text(side['median'], w)} (min {value_text(side['min'], w)}, "
        f"max {value_text(side['max'], w)}); {size}"
    )


def _detail_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _details(results: dict[str, Any]) -> list[str]:
    lines = ["## Details", ""]
    for w, r in _rows(results):
        lines += [f"### {w.name}: {w.title}", "", textwrap.fill(w.note, 100), ""]
        if "error" in r:
            lines += [f"- error: `{r['error'].splitlines()[0]}`"]
        for key, label in (("runwell", "runwell"), ("mlflow", "MLflow")):
            side = r.get(key)
            if side is None:
                continue
            lines.append(f"- {label}: {_spread(side, w)}")
            extras = {
                k.replace("_", " "): _detail_text(v)
                for k, v in side["detail"].items()
                if k != "run_id"
            }
            if side.get("setup_seconds") is not None:
                extras["populated in"] = f"{side['setup_seconds']:,.1f} s"
            if extras:
                lines.append("  (" + "; ".join(f"{k}: {v}" for k, v in extras.items()) + ")")
        if r.get("baseline_ratio") is not None:
            lines.append(
                f"- time against {w.baseline} (medians, same process): {r['baseline_ratio']:.2f}x"
            )
        for problem in r.get("problems", []):
            lines.append(f"- **{problem}**")
        lines += [f"- measured {r['date']}", ""]
    return lines


def _load_section(load: dict[str, Any] | None) -> list[str]:
    """The figures of ``make load`` (tests/reliability/test_load.py), when it has run."""
    if not load:
        return []
    lines = [
        "## Load test (`make load`)",
        "",
        f"{load['clients']} concurrent clients for {load['seconds']:.0f} s against `runwell "
        f"server --workers {load['workers']}` on PostgreSQL, loopback only: each client logs "
        "batches of 50 points into its own run, searches its experiment and downloads a 256 KiB "
        "artifact (weights 6:2:2). Latencies are client wall times of each request; 64 clients "
        "and 4 workers share the machine's 2 cores, so most of a request's time is its wait "
        "in the queue.",
        "",
        f"- {load['requests']:,} requests ({load['requests'] / load['seconds']:,.0f}/s), "
        f"{load['points']:,} points acknowledged, {load['errors']} errors, "
        f"{load['lost']} points lost or doubled",
        "",
        "| Operation | Requests | p50 | p99 |",
        "|---|---:|---:|---:|",
    ]
    for kind, figures in sorted(load["operations"].items()):
        lines.append(
            f"| {kind} | {figures['count']:,} | {figures['p50_ms']:,.1f} ms "
            f"| {figures['p99_ms']:,.1f} ms |"
        )
    return [*lines, "", f"- measured {load['date']}", ""]


def _stress_section(stress: dict[str, Any] | None) -> list[str]:
    """The totals of ``make stress`` (tests/reliability/stress.py), when it has run."""
    if not stress:
        return []
    lines = [
        "## Stress test (`make stress`)",
        "",
        "Many writers on one SQLite file for rounds of a fixed length, then an audit: every "
        "point whose logging call returned (or whose HTTP request got its 200) must be stored "
        "exactly once, and `PRAGMA integrity_check` must answer `ok`. The fluent rounds are 8 "
        "training processes logging `log_metric` every step and a 100-point `log_batch` every "
        "20 steps; the server rounds are 8 HTTP clients sending 100-point `log-batch` requests "
        "(and a `log-metric` one time in ten) to `runwell server --workers 4`; the SIGKILL "
        "rounds kill the server and its workers once mid-round, or kill writers at random "
        "moments six times, with new ones going on. Seconds per round are the median measured "
        "wall time, start-up and audit included.",
        "",
        "| Variant | Rounds | Seconds per round | Points acknowledged | Lost | Duplicated "
        "| Integrity failures | SQLite | Measured |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for variant, t in stress["variants"].items():
        lines.append(
            f"| {variant} | {t['rounds']} | {t['seconds_per_round']:.0f} | {t['points']:,} "
            f"| {t['lost']} | {t['duplicated']} | {t['integrity_failures']} | {t['sqlite']} "
            f"| {t['date']} |"
        )
    return [*lines, ""]


def markdown(
    results: dict[str, Any],
    load: dict[str, Any] | None = None,
    stress: dict[str, Any] | None = None,
) -> str:
    lines = [_INTRO, "## Results", "", *_results_table(results), ""]
    lines += ["## Machine", "", *_machine_table(results["machine"]), "", _METHOD]
    lines += _details(results)
    lines += _load_section(load)
    lines += _stress_section(stress)
    return "\n".join(lines).rstrip() + "\n"


def extra_sections(results_dir: Path) -> dict[str, dict[str, Any] | None]:
    """The figures of ``make load`` and ``make stress`` that the page shows beside bench's."""
    return {
        "load": read_json(results_dir / "load.json"),
        "stress": read_json(results_dir / "stress.json"),
    }


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found


if __name__ == "__main__":  # `make load` and `make stress` regenerate the page with theirs
    results_dir = Path(__file__).resolve().parent / "results"
    doc = results_dir.parent.parent / "docs" / "benchmarks.md"
    latest = read_json(results_dir / "latest.json")
    if latest is None:
        sys.exit(f"{results_dir / 'latest.json'} is missing: run `make bench` first.")
    doc.write_text(markdown(latest, **extra_sections(results_dir)))
    print(f"wrote {doc}")
