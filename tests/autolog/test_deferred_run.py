"""The run a scikit-learn fit gets when none is active: recorded after the fit, off its thread."""

from __future__ import annotations

import time
from typing import Any

from sklearn.linear_model import LogisticRegression

import runwell
import runwell.sklearn
from runwell.autologging import session
from runwell.autologging.config import AutologConfig
from runwell.entities import RunStatus
from tests.autolog.conftest import all_runs, only_run


def test_the_run_spans_the_fit_and_last_active_run_names_it_at_once(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X, _, y, _ = classification
    runwell.sklearn.autolog()
    before = int(time.time() * 1000)
    LogisticRegression().fit(X, y)
    after = int(time.time() * 1000)
    assert runwell.active_run() is None

    last = runwell.last_active_run()  # no flush of autolog first: it waits for the run
    assert last is not None
    run = only_run()
    assert last.info.run_id == run.info.run_id
    assert run.info.status == RunStatus.FINISHED
    assert run.info.end_time is not None
    assert before <= run.info.start_time <= run.info.end_time <= after
    assert run.data.tag_dict["mlflow.autologging"] == "sklearn"
    assert run.data.tag_dict["mlflow.user"]  # the tags start_run gives, from context
    assert "C" in run.data.param_dict


def test_a_run_started_after_the_fit_is_the_last_active_run(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X, _, y, _ = classification
    runwell.sklearn.autolog()
    LogisticRegression().fit(X, y)
    with runwell.start_run() as mine:
        pass
    last = runwell.last_active_run()
    assert last is not None and last.info.run_id == mine.info.run_id
    assert len(all_runs()) == 2


def test_the_run_goes_to_the_experiment_set_when_the_fit_ran(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X, _, y, _ = classification
    runwell.sklearn.autolog()
    first = runwell.set_experiment("during-fit")
    LogisticRegression().fit(X, y)
    runwell.set_experiment("after-fit")  # before the background thread records the run
    runwell.autologging.flush()
    found = runwell.RunwellClient().search_runs([first.experiment_id]).items
    assert len(found) == 1
    assert found[0].data.tag_dict["estimator_name"] == "LogisticRegression"


def test_post_training_metrics_land_on_the_deferred_run(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    import sklearn.metrics

    X_train, X_test, y_train, y_test = classification
    runwell.sklearn.autolog()
    model = LogisticRegression().fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_test, model.predict(X_test))  # waits for the run
    metrics = only_run().data.metric_dict
    assert "accuracy_score_X_test" in metrics


def test_a_synchronous_integration_or_system_metrics_start_the_run_before_the_call() -> None:
    eager = session.begin("sklearn", AutologConfig())
    assert eager is not None and runwell.active_run() is not None
    session.end(eager)
    assert runwell.active_run() is None

    later = session.begin("sklearn", AutologConfig(), deferred=True)
    assert later is not None and runwell.active_run() is None  # recorded after end
    session.end(later)

    now = session.begin("sklearn", AutologConfig(synchronous=True), deferred=True)
    assert now is not None and runwell.active_run() is not None
    session.end(now)

    runwell.enable_system_metrics_logging()
    try:
        sampled = session.begin("sklearn", AutologConfig(), deferred=True)
        assert sampled is not None and runwell.active_run() is not None
        session.end(sampled)
    finally:
        runwell.disable_system_metrics_logging()
    runs = {run.info.run_id: run for run in all_runs()}
    scopes = (eager, later, now, sampled)
    assert set(runs) == {scope.run_id for scope in scopes}
    assert all(run.info.status == RunStatus.FINISHED for run in runs.values())
