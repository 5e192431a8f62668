"""Parameter searches: best params on the parent, cv_results.csv, one child run per candidate."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

import runwell
from tests.autolog.conftest import all_runs


def test_grid_search_logs_parent_children_and_both_models(
    classification: tuple[Any, Any, Any, Any], tmp_path: Path
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog()
    grid = {"C": [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0], "fit_intercept": [True]}
    search = GridSearchCV(LogisticRegression(max_iter=300), grid, cv=3).fit(X_train, y_train)
    runwell.autologging.flush()

    parent, *children = all_runs()
    assert parent.data.tag_dict["estimator_name"] == "GridSearchCV"
    params = parent.data.param_dict
    assert params["best_C"] == str(search.best_params_["C"])
    assert params["best_fit_intercept"] == "True"
    assert params["estimator__max_iter"] == "300"
    assert parent.data.metric_dict["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.metric_dict["training_score"] == pytest.approx(
        search.score(X_train, y_train)
    )

    client = runwell.RunwellClient()
    path = client.download_artifacts(parent.info.run_id, "cv_results.csv", str(tmp_path))
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and "mean_test_score" in rows[0]

    assert len(children) == 5  # max_tuning_runs defaults to the 5 best
    ranks = search.cv_results_["rank_test_score"]
    best_first = sorted(range(6), key=lambda i: (ranks[i], i))[:5]
    for child, index in zip(children, best_first, strict=True):
        assert child.data.tag_dict["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tag_dict["estimator_name"] == "LogisticRegression"
        assert child.data.param_dict["C"] == str(search.cv_results_["params"][index]["C"])
        assert child.data.param_dict["max_iter"] == "300"
        scores = child.data.metric_dict
        assert scores["mean_test_score"] == pytest.approx(
            search.cv_results_["mean_test_score"][index]
        )
        assert "rank_test_score" in scores and "mean_fit_time" in scores
        assert not any(key.startswith(("split", "param_")) for key in scores)

    names = {
        client.get_logged_model(o.model_id).name
        for o in client.get_run(parent.info.run_id).outputs.model_outputs
    }
    assert names == {"model", "best_estimator"}


def test_randomized_search_honours_max_tuning_runs(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog(max_tuning_runs=2, log_models=False)
    RandomizedSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0, 10.0, 100.0]}, n_iter=4, cv=2, random_state=0
    ).fit(X_train, y_train)
    runwell.autologging.flush()

    parent, *children = all_runs()
    assert parent.data.tag_dict["estimator_name"] == "RandomizedSearchCV"
    assert len(children) == 2
    assert {c.data.tag_dict["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
