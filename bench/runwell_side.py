"""runwell's side of the benchmarks: ``.venv/bin/python bench/runwell_side.py OP --size N ...``.

Run by ``run_all.py`` in a fresh process per workload, like ``mlflow_side.py``; prints one
``BENCH_RESULT {json}`` line with the seconds of each repetition.
"""

from __future__ import annotations

import harness
from workloads import (
    autolog,
    history,
    offline,
    projects,
    registry,
    scoring,
    search,
    server,
    spark,
    ui,
    writes,
)

OPS = {
    "populate_registry": registry.populate_registry,
    "registry_search": registry.registry_search,
    "registry_resolve": registry.registry_resolve,
    "log_batch": writes.log_batch,
    "log_metric": writes.log_metric,
    "populate_runs": search.populate_runs,
    "search_runs": search.search_runs,
    "search_frame": search.search_frame,
    "populate_history": history.populate_history,
    "metric_history": history.metric_history,
    "server_log_metric": server.server_log_metric,
    "server_log_batch": server.server_log_batch,
    "server_search": server.server_search,
    "server_history": server.server_history,
    "server_start": server.server_start,
    "spark_udf": spark.spark_udf,
    "project_run_cold": projects.project_run_cold,
    "project_run_cached": projects.project_run_cached,
    "autolog_sklearn": autolog.autolog_sklearn,
    **scoring.OPS,
    "offline_write": offline.offline_write,
    "offline_sync": offline.offline_sync,
    "log_metric_overhead": offline.log_metric_overhead,
    "ui_runs_page": ui.ui_runs_page,
    "ui_chart_data": ui.ui_chart_data,
    "ui_chart_render": ui.ui_chart_render,
    "populate_compare": ui.populate_compare,
    "ui_compare": ui.ui_compare,
}

if __name__ == "__main__":
    harness.main(OPS)
