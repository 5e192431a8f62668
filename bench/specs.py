"""The workloads: what each measures, at which sizes, and the targets it must meet.

Sizes are counts of work units: metric points, calls, runs, or interpreter launches. MLflow's
side is often measured on fewer units, because its SQL store is slow; rates (per point, per
call) are comparable across sizes, and the notes below say what was measured.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sizes:
    runwell: int
    mlflow: int


@dataclass(frozen=True)
class Workload:
    """One benchmark row.

    ``rate`` workloads report units per second (higher is better) and must reach ``target``;
    the others report milliseconds per call (lower is better) and must stay under it.
    ``ratio_target`` is the speedup over MLflow required, per unit of work, if any.
    """

    name: str
    title: str
    unit: str
    rate: bool
    full: Sizes
    quick: Sizes
    reps: int
    target: float
    ratio_target: float | None
    note: str
    noun: str
    fixture: str | None = None
    queries: int = 20
    # Extra ceilings read from the side's detail: the median p99 latency, the worst worker RSS.
    p99_target_ms: float | None = None
    rss_target_mb: float | None = None
    # Each unit is a new process (a launch), not a repetition of the operation.
    launches: bool = False
    # A baseline the side times in the same operation (detail ``baseline_seconds``, one per
    # repetition): the median time may be at most this many times the baseline's median.
    baseline_ratio_target: float | None = None
    baseline: str = ""

    def sizes(self, quick: bool) -> Sizes:
        return self.quick if quick else self.full

    def target_text(self) -> str:
        parts = []
        if self.target:
            parts.append(
                f">= {self.target:,.0f} {self.unit}" if self.rate else f"< {self.target:,.0f} ms"
            )
        if self.ratio_target is not None:
            parts.append(f">= {self.ratio_target:g}x MLflow")
        if self.p99_target_ms is not None:
            parts.append(f"p99 < {self.p99_target_ms:g} ms")
        if self.rss_target_mb is not None:
            parts.append(f"idle RSS < {self.rss_target_mb:g} MB per worker")
        if self.baseline_ratio_target is not None:
            parts.append(f"time <= {self.baseline_ratio_target:g}x {self.baseline}")
        return " and ".join(parts)


WORKLOADS = (
    Workload(
        name="log_batch",
        title="`RunwellClient.log_batch`, 1,000 metrics per call",
        unit="points/s",
        rate=True,
        full=Sizes(runwell=1_000_000, mlflow=50_000),
        quick=Sizes(runwell=50_000, mlflow=5_000),
        reps=5,
        # The embedded store's safety (every checkpoint under the writer lock) must not cost
        # the headline rate: issue 18's floor.
        target=1_000_000,
        ratio_target=20,
        noun="points",
        note=(
            "One run; 10 keys, increasing steps and timestamps; the Metric objects are built "
            "before the clock starts. runwell logs 1,000,000 points, MLflow "
            "(`MlflowClient().log_batch`) 50,000 points: its rate does not improve with size."
        ),
    ),
    Workload(
        name="log_metric",
        title="fluent `log_metric` in a loop",
        unit="calls/s",
        rate=True,
        full=Sizes(runwell=20_000, mlflow=2_000),
        quick=Sizes(runwell=2_000, mlflow=100),
        reps=9,
        target=25_000,
        ratio_target=None,
        noun="calls",
        note=(
            "`runwell.log_metric('loss', v, step=i)` on the active run: 20,000 calls; "
            "`mlflow.log_metric` 2,000 calls (synchronous, its default)."
        ),
    ),
    Workload(
        name="search_runs",
        title="`search_runs`: a filtered, ordered page of 100 of 10,000 runs",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=10_000),
        quick=Sizes(runwell=500, mlflow=500),
        reps=5,
        target=30,
        ratio_target=20,
        fixture="runs",
        noun="runs",
        note=(
            "10,000 runs, each with 10 params p0..p9 in 'a'/'b'/'c', 10 metrics m0..m9 in "
            "[0, 1) and 5 tags (the same seeded data on both sides). Filter "
            "`metrics.m1 > 0.5 and params.p1 = 'a'`, order `metrics.m2 DESC`, max_results 100, "
            "through each client. A repetition is the median of 20 queries after one warm-up "
            "query, on a fresh copy of the populated store."
        ),
    ),
    Workload(
        name="search_frame",
        title="fluent `search_runs`: 10,000 runs into a pandas DataFrame",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=10_000),
        quick=Sizes(runwell=500, mlflow=500),
        reps=5,
        target=1_000,
        ratio_target=None,
        fixture="runs",
        noun="runs",
        note=(
            "`runwell.search_runs(experiment_ids=[id])` vs `mlflow.search_runs(...)` on the "
            "same 10,000 runs (32 columns), one call per repetition on a fresh copy of the store; "
            "pandas is imported before the clock starts."
        ),
    ),
    Workload(
        name="metric_history",
        title="`get_metric_history`: one metric of 1,000,000 points",
        unit="ms",
        rate=False,
        full=Sizes(runwell=1_000_000, mlflow=100_000),
        quick=Sizes(runwell=100_000, mlflow=10_000),
        reps=3,
        target=1_500,
        ratio_target=None,
        fixture="history",
        noun="points",
        note=(
            "One key, one point per step. runwell reads 1,000,000 points; MLflow "
            "(`MlflowClient().get_metric_history`) 100,000, because it pages through the history "
            "25,000 rows at a time with OFFSET, so its time grows faster than linearly (100,000 "
            "points took ~4 s and 300,000 ~15 s in a trial). The speedup compares time per point "
            "and so understates the gap at 1,000,000 points."
        ),
    ),
    Workload(
        name="import",
        title='`python -c "import runwell"` cold start',
        unit="ms",
        rate=False,
        full=Sizes(runwell=10, mlflow=10),
        quick=Sizes(runwell=3, mlflow=2),
        reps=1,
        target=150,
        ratio_target=None,
        launches=True,
        noun="launches",
        note=(
            "Wall time of a new interpreter running `import runwell` (`import mlflow`), launches "
            "after one untimed launch that warms the file cache and bytecode; each launch is a "
            "repetition. Another launch lists the heavy modules `import runwell` loaded: "
            "sqlalchemy, pandas, numpy, alembic, starlette and uvicorn must be absent."
        ),
    ),
)

SERVER_NOTE = (
    "Each repetition starts the side's own server as a child process (`runwell server` / "
    "`mlflow server`, `--workers 1` unless said otherwise) on a SQLite store and proxied "
    "artifacts in a fresh directory, and waits for /health before the clock starts. "
)

SERVER_WORKLOADS = (
    Workload(
        name="server_log_metric",
        title="fluent `log_metric` in a loop, to a tracking server",
        unit="calls/s",
        rate=True,
        full=Sizes(runwell=20_000, mlflow=500),
        quick=Sizes(runwell=2_000, mlflow=50),
        reps=5,
        target=50_000,
        ratio_target=100,
        noun="calls",
        note=SERVER_NOTE
        + (
            "`runwell.log_metric('loss', v, step=i)` with an http:// tracking URI: 20,000 calls, "
            "timed until `end_run()` returns, which delivers every queued point (background "
            "batching, runwell's default over HTTP). MLflow: 500 calls of `mlflow.log_metric` "
            "(synchronous, its default), then `end_run()`."
        ),
    ),
    Workload(
        name="server_log_batch",
        title="POST log-batch (10 metrics) on 16 concurrent connections",
        unit="requests/s",
        rate=True,
        full=Sizes(runwell=10, mlflow=10),
        quick=Sizes(runwell=2, mlflow=2),
        reps=3,
        target=0,
        ratio_target=3,
        p99_target_ms=50,
        noun="seconds of load",
        note=SERVER_NOTE
        + (
            "Both servers run `--workers 2` (the machine's cores). One load generator for both "
            "(`bench/load.py`, asyncio, standard library): 16 keep-alive connections POST "
            "`runs/log-batch` bodies of 10 metrics for 10 s, each body a new step of one run; "
            "the rate is completed requests per second, with the median and 99th percentile "
            "latency of every request."
        ),
    ),
    Workload(
        name="server_search",
        title="`search_runs` over HTTP: a filtered, ordered page of 100 of 10,000 runs",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=10_000),
        quick=Sizes(runwell=500, mlflow=500),
        reps=3,
        target=50,
        ratio_target=10,
        fixture="runs",
        noun="runs",
        note=SERVER_NOTE
        + (
            "The search_runs workload's store and query, served by each side's server and asked "
            "through each side's client (`RunwellClient(url)`, `MlflowClient(url)`). A repetition "
            "is the median of 20 queries after one warm-up query."
        ),
    ),
    Workload(
        name="server_history",
        title="`get_metric_history` over HTTP: one metric of 1,000,000 points",
        unit="ms",
        rate=False,
        full=Sizes(runwell=1_000_000, mlflow=100_000),
        quick=Sizes(runwell=100_000, mlflow=10_000),
        reps=5,
        target=3_000,
        ratio_target=10,
        fixture="history",
        noun="points",
        note=SERVER_NOTE
        + (
            "The metric_history workload's store, read through each side's client from its "
            "server: 1,000,000 points for runwell, 100,000 for MLflow (its client pages 25,000 "
            "points per request, and its server reads each page with OFFSET)."
        ),
    ),
    Workload(
        name="server_start",
        title="`runwell server` from the command to /health answering",
        unit="ms",
        rate=False,
        full=Sizes(runwell=5, mlflow=5),
        quick=Sizes(runwell=2, mlflow=1),
        reps=1,
        target=2_000,
        ratio_target=None,
        rss_target_mb=150,
        launches=True,
        noun="launches",
        note=SERVER_NOTE
        + (
            "Each launch is a new server on a new, empty SQLite store, so the time includes "
            "creating the schema, as a user's first start does. One second after /health "
            "answers, the resident memory of each worker process is read from /proc."
        ),
    ),
)

SCORING_NOTE = (
    "Both sides serve the same model directory: a scikit-learn LogisticRegression on iris "
    "(4 double columns, with a signature), saved once per bench run by `mlflow.sklearn.save_model` "
    "in MLflow's interpreter. runwell runs `runwell models serve -m DIR --env-manager local "
    "-w 1`, MLflow `mlflow models serve -m DIR --env-manager local -w 1`, each started fresh for "
    "every repetition. "
)
SCORING_LOAD_NOTE = (
    "One load generator for both (`bench/load.py`, asyncio, standard library) keeps N keep-alive "
    "connections POSTing the same `dataframe_split` body to /invocations, 1 s of warm-up and then "
    "the measured seconds; the rate is completed requests per second, with the median and 99th "
    "percentile latency of every request and the server's CPU time (its whole process tree) per "
    "request. "
)


def _scoring_load(name: str, title: str, ratio: float, p99: float | None, note: str) -> Workload:
    return Workload(
        name=name,
        title=title,
        unit="requests/s",
        rate=True,
        full=Sizes(runwell=10, mlflow=10),
        quick=Sizes(runwell=2, mlflow=2),
        reps=3,
        target=0,
        ratio_target=ratio,
        p99_target_ms=p99,
        fixture="iris_model",
        noun="seconds of load",
        note=SCORING_NOTE + SCORING_LOAD_NOTE + note,
    )


SCORING_WORKLOADS = (
    _scoring_load(
        "scoring_1row",
        "scoring server: 1-row `dataframe_split` on 8 concurrent connections",
        3,
        10,
        "8 connections, each body one row. Batching is off (the default) on both sides.",
    ),
    _scoring_load(
        "scoring_100rows",
        "scoring server: 100-row `dataframe_split` on 8 concurrent connections",
        2,
        None,
        "8 connections, each body the same 100 rows. Batching is off on both sides.",
    ),
    _scoring_load(
        "scoring_batched",
        "scoring server with micro-batching: 64 concurrent 1-row requests",
        5,
        None,
        "64 connections, each body one row. runwell adds `--batch-max-size 64` (default latency "
        "budget, 2 ms); MLflow's scoring server has no batching and serves each request alone.",
    ),
    Workload(
        name="scoring_start",
        title="`models serve --env-manager local` from the command to /ping answering 200",
        unit="ms",
        rate=False,
        full=Sizes(runwell=5, mlflow=5),
        quick=Sizes(runwell=2, mlflow=1),
        reps=1,
        target=2_000,
        ratio_target=None,
        fixture="iris_model",
        launches=True,
        noun="launches",
        note=SCORING_NOTE
        + (
            "Wall time from starting the command (the console script) to the first 200 from "
            "GET /ping, polled every 10 ms; it includes loading the model. One untimed launch "
            "first warms the file cache and writes bytecode; each timed launch is a repetition."
        ),
    ),
)

REGISTRY_WORKLOADS = (
    Workload(
        name="registry_search",
        title="`search_model_versions` by name and tag, 10,000 versions of 1,000 models",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=10_000),
        quick=Sizes(runwell=1_000, mlflow=1_000),
        reps=5,
        target=30,
        ratio_target=10,
        fixture="registry",
        noun="queries",
        note=(
            "Local SQLite store. 1,000 registered models of 10 versions each, every version "
            "tagged `team`; the query is `name = '<one model>' and tags.team = 'speech'` (3 "
            "versions). Median of 20 queries after a warm-up, per repetition. MLflow's fixture "
            "is one model made through its API, copied row for row in its own schema (its API "
            "takes about 35 ms per version here); both sides query through their public client."
        ),
    ),
    Workload(
        name="registry_resolve",
        title="resolve `models:/<name>@<alias>` over REST and start the download",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=0),
        quick=Sizes(runwell=1_000, mlflow=0),
        reps=3,
        target=20,
        ratio_target=None,
        fixture="registry",
        noun="resolutions",
        note=(
            "`runwell server` over the registry fixture: GET registered-models/alias, GET "
            "model-versions/get-download-uri, then the first bytes of the model's MLmodel through "
            "the artifact proxy, as a loader does; client wall time of the three round trips "
            "(an upper bound on server time). Median of 20 after a warm-up, per repetition."
        ),
    ),
)

SPARK_WORKLOADS = (
    Workload(
        name="spark_udf",
        title="`spark_udf` on 1,000,000 rows, local[2], against a pandas predict loop",
        unit="ms",
        rate=False,
        full=Sizes(runwell=1_000_000, mlflow=0),
        quick=Sizes(runwell=100_000, mlflow=0),
        reps=5,
        target=0,
        ratio_target=None,
        baseline_ratio_target=1.5,
        baseline="the pandas loop",
        noun="rows",
        note=(
            "runwell only (bench/workloads/spark.py). A scikit-learn RandomForestClassifier "
            "(20 trees, depth 8, 8 double features) saved by `runwell.sklearn.save_model`; a "
            "`local[2]` SparkSession scores `spark.range(1,000,000)` with 8 feature columns "
            "computed from the id, cached in memory before the clock starts (as the pandas rows "
            "are): `df.withColumn('p', udf(*features))` forced by a `noop` write. The baseline, "
            "timed in the same process right after each Spark repetition, predicts the same "
            "rows held in pandas with `load_model(...).predict` on chunks of 10,000 rows "
            "(Spark's default Arrow batch). One untimed repetition first starts "
            "Spark's Python workers (its time is in the details). Each repetition also times a "
            "pandas UDF returning zeros over the same columns: Spark's own cost of moving the "
            "rows through Python and back, whatever the model; and the pandas loop over chunks "
            "of 100,000 rows, the most `spark_udf` gives one predict call (it groups Spark's "
            "batches)."
        ),
    ),
)

PROJECT_NOTE = (
    "runwell only as a side (bench/workloads/projects.py); MLflow's `mlflow run` is launched by "
    "the same operation from .venv-mlflow. The project: one entry point, `python train.py "
    "--alpha {alpha}` (an ElasticNet on 2,000 generated rows, printing its score, logging "
    "nothing), and a python_env.yaml with this interpreter's exact version and the installed "
    "scikit-learn, pinned. Each launch is the console script with `--env-manager virtualenv` "
    "into a SQLite store made by an untimed first launch, timed from start to exit. "
)

PROJECT_WORKLOADS = (
    Workload(
        name="project_run_cold",
        title="`runwell run` of a python_env project needing scikit-learn, empty environment root",
        unit="ms",
        rate=False,
        full=Sizes(runwell=3, mlflow=0),
        quick=Sizes(runwell=1, mlflow=0),
        reps=1,
        target=60_000,
        ratio_target=None,
        launches=True,
        baseline="`mlflow run --env-manager virtualenv`",
        noun="launches",
        note=PROJECT_NOTE
        + (
            "Every launch gets a new, empty RUNWELL_ENV_ROOT, so it creates the virtualenv (uv) "
            "and installs scikit-learn, numpy, scipy, joblib and threadpoolctl; the download "
            "caches of uv and pip are warm (the first launch filled them), so the figure is the "
            "building of the environment, not the network. Right after each runwell launch, "
            "`mlflow run --env-manager virtualenv` runs the same project into a new, empty "
            "MLFLOW_ENV_ROOT (pyenv finds the interpreter, already installed; `python -m venv`; "
            "pip from the local package index); its times are the baseline."
        ),
    ),
    Workload(
        name="project_run_cached",
        title="`runwell run` overhead over running the script directly, environment cached",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10, mlflow=0),
        quick=Sizes(runwell=3, mlflow=0),
        reps=1,
        target=1_500,
        ratio_target=None,
        launches=True,
        noun="launches",
        note=PROJECT_NOTE
        + (
            "The environment is built by the first launch. Each timed launch is paired with "
            "running the script directly with that environment's interpreter (`<env>/bin/python "
            "train.py --alpha 0.5` in the project directory); the figure is the difference, "
            "what `runwell run` adds: starting the CLI, reading the MLproject, finding the "
            "cached environment, creating the run, logging params and tags, keeping the "
            "output as an artifact and ending the run. MLflow's cached `mlflow run` times are "
            "in the details."
        ),
    ),
)

AUTOLOG_WORKLOADS = (
    Workload(
        name="autolog_sklearn",
        title="sklearn autolog overhead on `fit` of a 10,000-row LogisticRegression",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=10_000),
        quick=Sizes(runwell=2_000, mlflow=2_000),
        reps=15,
        target=0,
        ratio_target=1,
        baseline_ratio_target=1.0,
        baseline="fit without autolog",
        noun="rows",
        note=(
            "bench/workloads/autolog.py, the same loop on both sides: `make_classification` "
            "(10,000 rows, 20 features, seed 0), a fresh `LogisticRegression()` per fit; each "
            "repetition times fits with autolog off and with `runwell.autolog()` "
            "(`mlflow.sklearn.autolog()`) on, defaults, no active run (autolog starts and ends "
            "the run), in alternating order: 10 pairs per repetition for runwell, one for "
            "MLflow. An autologged fit is timed until its run is complete: the fit, then "
            "`runwell.autologging.flush()` (`mlflow.flush_async_logging()`), so params, "
            "training metrics, the dataset and the model (READY) are stored and readable. A "
            "repetition's overhead is its median autologged fit minus its median plain fit; "
            "the figure is the median overhead; it must stay under the median plain fit (the "
            "time ratio shown: autolog at most doubles the fit, model saving included) and "
            "under MLflow's overhead (the speedup). Each repetition also times a fit inside a "
            "run the user started, until `end_run` returns (details)."
        ),
    ),
)

OFFLINE_WORKLOADS = (
    Workload(
        name="offline_write",
        title="offline journal write: `RunwellClient.log_batch`, 1,000 metrics per call",
        unit="points/s",
        rate=True,
        full=Sizes(runwell=1_000_000, mlflow=0),
        quick=Sizes(runwell=50_000, mlflow=0),
        reps=5,
        target=200_000,
        ratio_target=None,
        noun="points",
        note=(
            "runwell only (bench/workloads/offline.py): MLflow has no offline mode. "
            "RUNWELL_MODE=offline; the log_batch workload's points (10 keys) into one run's "
            "journal, timed until `flush()` returns, when every point is committed to the "
            "journal's SQLite file. Each repetition also times 100,000 fluent "
            "`runwell.log_metric` calls into another offline run (flushed): the details' "
            "`fluent_log_metric_calls_per_s`. One untimed warm-up repetition."
        ),
    ),
    Workload(
        name="offline_sync",
        title="`runwell sync` of a 1,000,000-point offline run to a local server",
        unit="ms",
        rate=False,
        full=Sizes(runwell=1_000_000, mlflow=0),
        quick=Sizes(runwell=100_000, mlflow=0),
        reps=3,
        target=10_000,
        ratio_target=None,
        noun="points",
        note=SERVER_NOTE
        + (
            "runwell only. Before the clock: an ended offline run of 1,000,000 points (10 keys, "
            "1,000 per journal record) and a new `runwell server`. Timed: the `runwell sync "
            "--tracking-uri URL SPOOL` command, a new process, from start to exit (it creates "
            "the run, sends the points in log-batch requests of 1,000, two in flight, and marks "
            "the journal done). The points are then counted on the server."
        ),
    ),
    Workload(
        name="log_metric_overhead",
        title="fluent `log_metric` call to a tracking server, async: 1 / the median call time",
        unit="calls/s",
        rate=True,
        full=Sizes(runwell=20_000, mlflow=500),
        quick=Sizes(runwell=2_000, mlflow=50),
        reps=5,
        target=50_000,
        ratio_target=None,
        noun="calls",
        note=SERVER_NOTE
        + (
            "Every call of `runwell.log_metric('loss', v, step=i)` in a loop is timed on its "
            "own (perf_counter_ns) after 200 warm-up calls; a repetition's figure is its median "
            "call, so 50,000 calls/s is a median of 20 µs. The calls queue for the background "
            "thread (bounded queue, default 100,000 values); the details hold the median and "
            "99th percentile in µs and how long `end_run()` then took to deliver everything. "
            "MLflow: 500 calls of `mlflow.log_metric`, synchronous (its default), timed the same "
            "way."
        ),
    ),
)

UI_NOTE = (
    "Headless Chromium (Debian's, driven by Playwright; bench/browser.py) against `runwell "
    "server` over a fresh copy of the fixture; each repetition loads the page once untimed "
    "(the server's caches) and then cold in a new browser context, timed from the navigation "
    "start. "
)

UI_WORKLOADS = (
    Workload(
        name="ui_runs_page",
        title="web UI: runs page of 10,000 runs x 20 columns, first rows painted",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=10_000),
        quick=Sizes(runwell=500, mlflow=500),
        reps=3,
        target=1_000,
        ratio_target=None,
        fixture="runs",
        noun="runs",
        note=UI_NOTE
        + (
            "The search_runs fixture (10,000 runs, 10 params, 10 metrics); the page "
            "`/experiments/<id>?cols=` the 10 metrics and 10 params. Timed until 10 rows are "
            "in the table (polled every frame); the details hold the page's own first-paint mark "
            "and when all 10,000 rows had loaded. MLflow: `mlflow server` over the same data, "
            "its UI at `/#/experiments/<id>/runs` (its own default columns), timed until 10 "
            "rows of its runs table show."
        ),
    ),
    Workload(
        name="ui_chart_data",
        title="web UI: data request of a chart of one 1,000,000-point metric",
        unit="ms",
        rate=False,
        full=Sizes(runwell=1_000_000, mlflow=0),
        quick=Sizes(runwell=100_000, mlflow=0),
        reps=3,
        target=300,
        ratio_target=None,
        fixture="history",
        noun="points",
        note=UI_NOTE
        + (
            "The metric_history fixture; the page `/metric?runs=<id>&key=loss`. The figure is "
            "the browser's resource timing of `metrics/sampled` (request start to last byte): "
            "the page asks for one bucket per pixel column of its plot (about 1,300 at this "
            "1440 px window) and the server keeps each bucket's minimum and maximum."
        ),
    ),
    Workload(
        name="ui_chart_render",
        title="web UI: chart of one 1,000,000-point metric, from navigation to first view painted",
        unit="ms",
        rate=False,
        full=Sizes(runwell=1_000_000, mlflow=0),
        quick=Sizes(runwell=100_000, mlflow=0),
        reps=3,
        target=1_000,
        ratio_target=None,
        fixture="history",
        noun="points",
        note=UI_NOTE
        + (
            "Same page as ui_chart_data; timed to the page's `runwell:chart-painted` mark, set "
            "one frame after the chart's first view (a canvas drawn from the same downsampled "
            "data: lines, axes, legend) is on screen. Plotly.js (4.8 MB, over a second to "
            "compile and run in a cold browser) loads after that and takes the chart over for "
            "hover and zoom: the details hold that moment (`runwell:chart-interactive`) and both "
            "figures for a second visit in the same browser context (files from the cache)."
        ),
    ),
    Workload(
        name="ui_compare",
        title="web UI: compare page of 50 runs x 5 metrics x 10,000 steps, every view painted",
        unit="ms",
        rate=False,
        full=Sizes(runwell=10_000, mlflow=0),
        quick=Sizes(runwell=1_000, mlflow=0),
        reps=3,
        target=2_000,
        ratio_target=None,
        fixture="compare",
        noun="steps per metric",
        note=UI_NOTE
        + (
            "50 runs, each with 5 metrics of 10,000 steps (2,500,000 points); the page "
            "`/compare?runs=<50 ids>&keys=m0,...,m4`, timed to its `runwell:compare-painted` "
            "mark: the tables, the parallel-coordinates plot, the scatter and the 5 overlaid "
            "charts of 50 lines each on screen (the charts and the scatter first as canvases). "
            "The details hold when Plotly had taken them all over "
            "(`runwell:compare-interactive`), and both figures for a second visit."
        ),
    ),
)

WORKLOADS = (
    WORKLOADS
    + SERVER_WORKLOADS
    + SCORING_WORKLOADS
    + REGISTRY_WORKLOADS
    + SPARK_WORKLOADS
    + PROJECT_WORKLOADS
    + AUTOLOG_WORKLOADS
    + OFFLINE_WORKLOADS
    + UI_WORKLOADS
)

BY_NAME = {w.name: w for w in WORKLOADS}


def speedup(
    workload: Workload, runwell: dict[str, Any], mlflow: dict[str, Any] | None
) -> float | None:
    """How many times faster runwell is than MLflow, per unit of work (point, call, query)."""
    if mlflow is None:
        return None
    if workload.rate:
        return float(runwell["median"] / mlflow["median"])
    return float((mlflow["median"] / mlflow["count"]) / (runwell["median"] / runwell["count"]))


def evaluate(
    workload: Workload, runwell: dict[str, Any], mlflow: dict[str, Any] | None
) -> dict[str, Any]:
    """The speedup, the verdict (pass, pass* = speedup not measured, FAIL) and why it failed."""
    problems = []
    median = runwell["median"]
    detail = runwell["detail"]
    if workload.p99_target_ms is not None:
        p99 = statistics.median(detail["p99_ms"])
        if p99 >= workload.p99_target_ms:
            problems.append(f"p99 {p99:,.1f} ms is not under {workload.p99_target_ms:g} ms")
    if workload.rss_target_mb is not None and detail["worst_rss_mb"] >= workload.rss_target_mb:
        problems.append(
            f"a worker's idle RSS {detail['worst_rss_mb']:,.0f} MB is not under "
            f"{workload.rss_target_mb:g} MB"
        )
    if workload.rate and median < workload.target:
        problems.append(f"{median:,.0f} {workload.unit} is below {workload.target:,.0f}")
    if not workload.rate and workload.target and median >= workload.target:
        problems.append(f"{median:,.1f} ms is not under {workload.target:,.0f} ms")
    to_baseline = baseline_ratio(runwell)
    if workload.baseline_ratio_target is not None:
        if to_baseline is None:
            problems.append(f"{workload.baseline} was not measured")
        elif to_baseline > workload.baseline_ratio_target:
            problems.append(
                f"{to_baseline:.2f}x the time of {workload.baseline} is above "
                f"{workload.baseline_ratio_target:g}x"
            )
    heavy = runwell["detail"].get("heavy_loaded")
    if heavy:
        problems.append("import runwell loaded " + ", ".join(heavy))
    ratio = speedup(workload, runwell, mlflow)
    unmeasured = workload.ratio_target is not None and ratio is None
    if workload.ratio_target is not None and ratio is not None and ratio < workload.ratio_target:
        problems.append(f"speedup {ratio:.1f}x is below {workload.ratio_target:g}x")
    status = "FAIL" if problems else ("pass*" if unmeasured else "pass")
    return {
        "speedup": ratio,
        "baseline_ratio": to_baseline,
        "status": status,
        "problems": problems,
    }


def baseline_ratio(side: dict[str, Any]) -> float | None:
    """The side's median time over the median of the baseline it timed alongside, if any."""
    baseline = side["detail"].get("baseline_seconds")
    if not baseline:
        return None
    return float(statistics.median(side["seconds"]) / statistics.median(baseline))
