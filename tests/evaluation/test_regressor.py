"""Regressors: MLflow's metric names and values; numpy data; URI models with sklearn's score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk
from sklearn.linear_model import LinearRegression

import runwell
import runwell.sklearn
from runwell.evaluation import evaluate
from tests.evaluation.builders import regression_frame, regressor, run_id_of

REGRESSOR = {
    "score",
    "example_count",
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "sum_on_target",
    "mean_on_target",
    "r2_score",
    "max_error",
    "mean_absolute_percentage_error",
}


def test_regressor_metrics_match_sklearn_on_a_logged_model_uri() -> None:
    frame = regression_frame()
    model = regressor(frame)
    with runwell.start_run():
        info = runwell.sklearn.log_model(model, name="model")
        result = evaluate(info.model_uri, frame, targets="y", model_type="regressor")

    assert set(result.metrics) == REGRESSOR
    y, pred = frame["y"], model.predict(frame[["a", "b"]])
    assert result.metrics["mean_squared_error"] == pytest.approx(sk.mean_squared_error(y, pred))
    assert result.metrics["root_mean_squared_error"] == pytest.approx(
        np.sqrt(sk.mean_squared_error(y, pred))
    )
    assert result.metrics["sum_on_target"] == pytest.approx(y.sum())
    assert result.metrics["mean_on_target"] == pytest.approx(y.mean())
    assert result.metrics["max_error"] == pytest.approx(sk.max_error(y, pred))
    assert result.metrics["score"] == pytest.approx(sk.r2_score(y, pred))
    assert set(result.artifacts) == {"eval_results_table"}
    assert runwell.get_run(run_id_of(result)).data.metrics == pytest.approx(result.metrics)


def test_numpy_data_with_a_targets_array_names_features_like_mlflow() -> None:
    frame = regression_frame()
    features = frame[["a", "b"]].to_numpy()
    model = LinearRegression().fit(features, frame["y"])
    result = evaluate(
        lambda x: model.predict(np.asarray(x)),
        features,
        targets=frame["y"].to_numpy(),
        model_type="regressor",
    )
    assert result.metrics["r2_score"] == pytest.approx(
        sk.r2_score(frame["y"], model.predict(features))
    )
    columns = list(result.tables["eval_results_table"].columns)
    assert columns == ["feature_1", "feature_2", "target", "outputs"]


def test_feature_names_pick_the_feature_columns() -> None:
    frame = regression_frame().assign(note="ignored")
    model = regressor(frame)
    result = evaluate(model, frame, targets="y", model_type="regressor", feature_names=["a", "b"])
    assert list(result.tables["eval_results_table"].columns) == ["a", "b", "y", "outputs"]


def test_sample_weights_weigh_the_errors() -> None:
    frame = regression_frame()
    frame["guess"] = frame["y"] + np.where(np.arange(len(frame)) == 0, 5.0, 0.0)
    weights = np.where(np.arange(len(frame)) == 0, 0.0, 1.0)
    result = evaluate(
        data=frame,
        targets="y",
        predictions="guess",
        model_type="regressor",
        evaluator_config={"sample_weights": weights},
    )
    assert result.metrics["mean_absolute_error"] == pytest.approx(0.0)
    assert result.metrics["max_error"] == pytest.approx(5.0)  # unweighted, as in MLflow
