"""runwell's side of the benchmarks: ``.venv/bin/python bench/runwell_side.py OP --size N ...``.

Run by ``run_all.py`` in a fresh process per workload, like ``mlflow_side.py``; prints one
``BENCH_RESULT {json}`` line with the seconds of each repetition.
"""

from __future__ import annotations

import harness
from workloads import history, registry, scoring, search, server, writes

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
    **scoring.OPS,
}

if __name__ == "__main__":
    harness.main(OPS)
