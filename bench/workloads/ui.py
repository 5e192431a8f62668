"""The web UI in headless Chromium against `runwell server`: the runs page of 10,000 runs, a
chart of a 1,000,000-point metric, and the compare page of 50 runs x 5 metrics x 10,000 steps.

Each repetition starts a server over a fresh copy of the fixture and loads the page cold in a
new browser context; figures are ms since the navigation started, read from the page's own
performance marks: when its first views are painted (canvases while Plotly.js loads) and when
Plotly has taken the charts over; a second visit in the same context (files from the cache)
is reported beside them.
"""

from __future__ import annotations

import statistics
import urllib.parse

import browser
import harness
import server_ops
from runwell import Metric, Param, RunwellClient
from runwell.store.uri import forget_stores
from workloads.server import command

RUNS_COLUMNS = ",".join([f"metrics.m{i}" for i in range(10)] + [f"params.p{i}" for i in range(10)])
COMPARE_EXPERIMENT = "bench-compare"
COMPARE_RUNS, COMPARE_KEYS, COMPARE_STEPS = 50, 5, 10_000
# The first rows painted with their metric values.
RUNS_READY = "document.querySelectorAll('.vrow').length >= 10"


def _experiment_id(url: str, name: str) -> str:
    found = server_ops.call(url, f"/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}")
    return str(found["experiment"]["experiment_id"])


def ui_runs_page(args: harness.Args) -> None:
    """First paint of the runs table: 10,000 runs, 20 chosen columns."""
    seconds, marks = [], []
    with browser.chromium() as chromium:
        for _ in range(args.reps):
            with server_ops.fixture_server(command, args.fixture, "runwell.db") as s:
                experiment = _experiment_id(s.url, harness.SEARCH_EXPERIMENT)
                url = f"{s.url}/experiments/{experiment}?cols={RUNS_COLUMNS}"
                browser.time_page(chromium, url, RUNS_READY)  # warm the server's caches
                timing = browser.time_page(
                    chromium,
                    url,
                    RUNS_READY,
                    marks=["runwell:runs-first-paint", "runwell:runs-complete"],
                )
                seconds.append(timing["ready"] / 1000)
                marks.append(timing)
    harness.emit(
        seconds,
        args.size,
        first_paint_mark_ms=statistics.median(m["runwell:runs-first-paint"] for m in marks),
        all_rows_loaded_ms=statistics.median(m["runwell:runs-complete"] for m in marks),
    )


def _history_run(url: str) -> str:
    experiment = _experiment_id(url, harness.HISTORY_EXPERIMENT)
    found = server_ops.call(url, "/api/2.0/mlflow/runs/search", {"experiment_ids": [experiment]})
    return str(found["runs"][0]["info"]["run_id"])


CHART_MARKS = ["runwell:chart-data", "runwell:chart-painted", "runwell:chart-interactive"]


def _chart(args: harness.Args, figure: str) -> None:
    seconds, details = [], []
    with browser.chromium() as chromium:
        for _ in range(args.reps):
            with server_ops.fixture_server(command, args.fixture, "runwell.db") as s:
                run_id = _history_run(s.url)
                url = f"{s.url}/metric?runs={run_id}&key={harness.HISTORY_KEY}"
                browser.time_page(chromium, url, "true", marks=CHART_MARKS)
                timing = browser.time_page(
                    chromium,
                    url,
                    "true",
                    marks=CHART_MARKS,
                    resources=["metrics/sampled"],
                    again=True,
                )
                details.append(timing)
                value = (
                    timing["metrics/sampled"]
                    if figure == "data"
                    else timing["runwell:chart-painted"]
                )
                seconds.append(value / 1000)

    def median(name: str) -> float:
        return round(statistics.median(d[name] for d in details), 1)

    harness.emit(
        seconds,
        args.size,
        data_request_ms=median("metrics/sampled"),
        data_received_ms=median("runwell:chart-data"),
        first_view_painted_ms=median("runwell:chart-painted"),
        plotly_interactive_ms=median("runwell:chart-interactive"),
        second_visit_painted_ms=median("again:runwell:chart-painted"),
        second_visit_interactive_ms=median("again:runwell:chart-interactive"),
    )


def ui_chart_data(args: harness.Args) -> None:
    """The chart's data request for a 1,000,000-point metric (request start to last byte)."""
    _chart(args, "data")


def ui_chart_render(args: harness.Args) -> None:
    """The chart page of a 1,000,000-point metric, from navigation to its first view painted."""
    _chart(args, "render")


def populate_compare(args: harness.Args) -> None:
    """50 runs, each with 5 metrics of 10,000 steps (``args.size`` steps)."""
    assert args.fixture is not None
    client = RunwellClient(f"sqlite:///{args.fixture}")
    experiment = client.create_experiment(COMPARE_EXPERIMENT)
    watch = harness.Stopwatch()
    with watch:
        for index in range(COMPARE_RUNS):
            run_id = client.create_run(experiment, run_name=f"run-{index}").info.run_id
            client.log_batch(run_id, params=[Param(key="lr", value=str(index / 100))])
            for key in range(COMPARE_KEYS):
                for start in range(0, args.size, 1000):
                    client.log_batch(
                        run_id,
                        metrics=[
                            Metric(
                                key=f"m{key}",
                                value=((step * (key + 1) + index) % 997) / 997,
                                timestamp=harness.BASE_TIMESTAMP + step,
                                step=step,
                            )
                            for step in range(start, min(args.size, start + 1000))
                        ],
                    )
    forget_stores()
    harness.emit([watch.seconds], args.size)


COMPARE_MARKS = ["runwell:compare-painted", "runwell:compare-interactive"]


def ui_compare(args: harness.Args) -> None:
    """The compare page of 50 runs with 5 overlaid metric charts, to every view painted."""
    seconds, details = [], []
    keys = ",".join(f"m{k}" for k in range(COMPARE_KEYS))
    with browser.chromium() as chromium:
        for _ in range(args.reps):
            with server_ops.fixture_server(command, args.fixture, "runwell.db") as s:
                experiment = _experiment_id(s.url, COMPARE_EXPERIMENT)
                found = server_ops.call(
                    s.url,
                    "/api/2.0/mlflow/runs/search",
                    {"experiment_ids": [experiment], "max_results": COMPARE_RUNS},
                )
                runs = ",".join(r["info"]["run_id"] for r in found["runs"])
                url = f"{s.url}/compare?runs={runs}&keys={urllib.parse.quote(keys)}"
                browser.time_page(chromium, url, "true", marks=COMPARE_MARKS)
                timing = browser.time_page(
                    chromium,
                    url,
                    "true",
                    marks=COMPARE_MARKS,
                    resources=["metrics/sampled"],
                    again=True,
                )
                seconds.append(timing["runwell:compare-painted"] / 1000)
                details.append(timing)

    def median(name: str) -> float:
        return round(statistics.median(d[name] for d in details), 1)

    harness.emit(
        seconds,
        COMPARE_RUNS,
        first_chart_request_ms=median("metrics/sampled"),
        plotly_interactive_ms=median("runwell:compare-interactive"),
        second_visit_painted_ms=median("again:runwell:compare-painted"),
        second_visit_interactive_ms=median("again:runwell:compare-interactive"),
    )
