"""Post-training metrics: sklearn.metrics on an autologged model's predictions."""

from __future__ import annotations

from typing import Any

import pytest
import sklearn.metrics
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import runwell
from tests.autolog.conftest import only_run


def test_metric_calls_on_predictions_are_logged_by_dataset_name(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, X_test, y_train, y_test = classification
    runwell.sklearn.autolog(log_models=False, log_datasets=False)
    model = LogisticRegression().fit(X_train, y_train)

    preds = model.predict(X_test)
    accuracy = sklearn.metrics.accuracy_score(y_test, preds)
    again = sklearn.metrics.accuracy_score(y_test, preds, normalize=True)
    f1 = sklearn.metrics.f1_score(y_test, preds)
    proba = model.predict_proba(X_train)
    loss = sklearn.metrics.log_loss(y_train, proba)
    score = model.score(X_test, y_test)
    sklearn.metrics.accuracy_score(y_test, preds.copy())  # a copy is not recognised
    sklearn.metrics.f1_score(y_test, y_test)  # neither are the labels themselves

    logged = only_run().data.metric_dict
    found = {k: v for k, v in logged.items() if not k.startswith("training_")}
    assert found == pytest.approx(
        {
            "accuracy_score_X_test": accuracy,
            "accuracy_score-2_X_test": again,
            "f1_score_X_test": f1,
            "log_loss_X_train": loss,
            "LogisticRegression_score_X_test": score,
        }
    )


def test_pipeline_predictions_and_a_second_dataset_of_the_same_name(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, X_test, y_train, y_test = classification
    runwell.sklearn.autolog(log_models=False, log_datasets=False)
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(X_train, y_train)
    first = model.predict(X_test)
    sklearn.metrics.mean_squared_error(y_test, first)
    X_test = X_test[:50]  # a new object under the same name
    second = model.predict(X_test)
    sklearn.metrics.mean_squared_error(y_test[:50], second)
    sklearn.metrics.r2_score(y_test[:10], model.predict(X_test[:10]))  # no variable holds it

    logged = only_run().data.metric_dict
    assert {k for k in logged if not k.startswith("training_")} == {
        "mean_squared_error_X_test",
        "mean_squared_error-2_X_test-2",
        "r2_score_unknown_dataset",
    }


def test_post_training_metrics_can_be_turned_off(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, X_test, y_train, y_test = classification
    runwell.sklearn.autolog(log_post_training_metrics=False, log_models=False)
    model = LogisticRegression().fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    assert all(k.startswith("training_") for k in only_run().data.metric_dict)


def test_patched_metric_functions_still_pickle_by_reference() -> None:
    import pickle

    from sklearn.metrics import _classification

    runwell.sklearn.autolog()
    patched = sklearn.metrics.f1_score
    assert _classification.f1_score is patched
    assert pickle.loads(pickle.dumps(patched)) is patched
    scorer = sklearn.metrics.make_scorer(patched)
    assert pickle.loads(pickle.dumps(scorer))._score_func is patched


def test_only_identifiers_name_a_dataset(classification: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_test, y_train, y_test = classification
    runwell.sklearn.autolog(log_models=False, log_datasets=False)
    model = LogisticRegression().fit(X_train, y_train)
    # pytest keeps the slice in a variable named @py_assert..., not a valid metric key part.
    assert model.score(X_test[:20], y_test[:20]) >= 0
    assert "LogisticRegression_score_unknown_dataset" in only_run().data.metric_dict
