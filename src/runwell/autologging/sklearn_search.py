"""Parameter searches (GridSearchCV, RandomizedSearchCV, the halving searches).

The parent run (the search's own run) gets the best candidate's params as ``best_<param>``,
``best_cv_score``, the full ``cv_results_`` as the artifact ``cv_results.csv``, and the refit
best estimator as a second model, ``best_estimator``. Each of the ``max_tuning_runs`` best
candidates (by ``rank_test_score``, or the refit metric's rank; None: all) becomes a nested
child run with the base estimator's params overridden by the candidate's, and the candidate's
aggregate scores and times (``mean_test_score``, ``std_test_score``, ``rank_test_score``,
``mean_fit_time``...; the per-split columns are left out).
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

from runwell.autologging.session import AUTOLOGGING_TAG, RunScope
from runwell.entities import Metric, Param
from runwell.store import validation
from runwell.tracking.context import PARENT_RUN_ID

CV_RESULTS_FILE = "cv_results.csv"


def is_search(estimator: Any) -> bool:
    from sklearn.model_selection._search import BaseSearchCV

    return isinstance(estimator, BaseSearchCV) and hasattr(estimator, "cv_results_")


def parent_values(estimator: Any) -> tuple[dict[str, str], dict[str, float]]:
    """``best_<param>`` params and ``best_cv_score`` of a fitted search."""
    params = {
        f"best_{name}": param_text(value)
        for name, value in (getattr(estimator, "best_params_", None) or {}).items()
    }
    metrics: dict[str, float] = {}
    best = getattr(estimator, "best_score_", None)
    if best is not None:
        metrics["best_cv_score"] = float(best)
    return params, metrics


def param_text(value: Any) -> str:
    return str(value)[: validation.MAX_PARAM_VALUE_LENGTH]


def log_cv_results(scope: RunScope, estimator: Any) -> None:
    import pandas as pd

    frame = pd.DataFrame(estimator.cv_results_)
    with tempfile.TemporaryDirectory(prefix="runwell-autolog-cv-") as tmp:
        path = os.path.join(tmp, CV_RESULTS_FILE)
        frame.to_csv(path, index=False)
        scope.client.log_artifact(scope.run_id, path)


def _rank_column(results: dict[str, Any], refit: Any) -> str | None:
    if "rank_test_score" in results:
        return "rank_test_score"
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return f"rank_test_{refit}"
    ranks = sorted(k for k in results if k.startswith("rank_test_"))
    return ranks[0] if ranks else None


def best_candidates(estimator: Any, max_tuning_runs: int | None) -> list[int]:
    """Indexes of the candidates that get child runs, best first."""
    results = estimator.cv_results_
    count = len(results["params"])
    column = _rank_column(results, getattr(estimator, "refit", None))
    order = list(range(count))
    if column is not None:
        ranks = results[column]
        order.sort(key=lambda i: (ranks[i], i))
    return order if max_tuning_runs is None else order[:max_tuning_runs]


def log_child_runs(
    scope: RunScope, estimator: Any, max_tuning_runs: int | None, tags: dict[str, str]
) -> list[str]:
    """One finished child run per chosen candidate; their ids, best first."""
    results = estimator.cv_results_
    base = estimator.estimator.get_params(deep=True)
    metric_columns = [
        key for key in results if not key.startswith(("param_", "split")) and key != "params"
    ]
    client = scope.client
    created = []
    for index in best_candidates(estimator, max_tuning_runs):
        run_tags = {PARENT_RUN_ID: scope.run_id, AUTOLOGGING_TAG: scope.integration, **tags}
        run = client.create_run(scope.experiment_id, tags=run_tags)
        run_id = run.info.run_id
        params = {**base, **results["params"][index]}
        now = int(time.time() * 1000)
        metrics = []
        for key in metric_columns:
            value = _number(results[key][index])
            if value is not None:
                metrics.append(Metric(key=key, value=value, timestamp=now))
        client.log_batch(
            run_id,
            metrics=metrics,
            params=[Param(key=k, value=param_text(v)) for k, v in params.items()],
        )
        client.set_terminated(run_id)
        created.append(run_id)
    return created


def _number(value: Any) -> float | None:
    if isinstance(value, (bool, str, bytes)) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
