"""Custom metrics (make_metric, extra_metrics) and custom artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import runwell
import runwell.models
from runwell.errors import InvalidArgument
from runwell.evaluation import MetricValue, evaluate
from tests.evaluation.builders import regression_frame, regressor, run_id_of


def _static() -> pd.DataFrame:
    frame = regression_frame()
    frame["guess"] = regressor(frame).predict(frame[["a", "b"]])
    return frame


def test_extra_metrics_get_predictions_targets_and_builtin_metrics() -> None:
    seen: dict[str, Any] = {}

    def within_one(predictions: pd.Series, targets: pd.Series, metrics: dict[str, Any]) -> float:
        seen["mse"] = metrics["mean_squared_error"].aggregate_results["mean_squared_error"]
        return float(((predictions - targets).abs() < 1).mean())

    def abs_error(predictions: pd.Series, targets: pd.Series) -> MetricValue:
        return MetricValue(scores=(predictions - targets).abs().tolist())

    frame = _static()
    result = evaluate(
        data=frame,
        targets="y",
        predictions="guess",
        model_type="regressor",
        extra_metrics=[
            runwell.models.make_metric(eval_fn=within_one, greater_is_better=True),
            runwell.models.make_metric(eval_fn=abs_error, greater_is_better=False),
        ],
    )
    errors = (frame["guess"] - frame["y"]).abs()
    assert result.metrics["within_one"] == pytest.approx((errors < 1).mean())
    assert seen["mse"] == pytest.approx(result.metrics["mean_squared_error"])
    # Per-row scores: aggregated as MLflow does, and a column of the results table.
    assert result.metrics["abs_error/mean"] == pytest.approx(errors.mean())
    assert result.metrics["abs_error/p90"] == pytest.approx(np.percentile(errors, 90))
    table = result.tables["eval_results_table"]
    assert table["abs_error/score"].tolist() == pytest.approx(errors.tolist())
    logged = runwell.get_run(run_id_of(result)).data.metrics
    assert logged["within_one"] == result.metrics["within_one"]


def test_model_type_none_computes_only_extra_metrics_and_the_legacy_signature() -> None:
    def bias(eval_df: pd.DataFrame, builtin_metrics: dict[str, float]) -> float:
        return float((eval_df["prediction"] - eval_df["target"]).mean())

    frame = _static()
    result = evaluate(
        data=frame,
        targets="y",
        predictions="guess",
        extra_metrics=[runwell.models.make_metric(eval_fn=bias, greater_is_better=False)],
    )
    assert result.metrics == {"bias": pytest.approx((frame["guess"] - frame["y"]).mean())}


def test_a_metric_may_use_a_feature_column_and_another_metric() -> None:
    def spread(a: pd.Series) -> float:
        return float(a.max() - a.min())

    def doubled(spread: MetricValue) -> float:
        return 2 * (spread.aggregate_results or {})["spread"]

    result = evaluate(
        data=_static(),
        targets="y",
        predictions="guess",
        extra_metrics=[
            runwell.models.make_metric(eval_fn=doubled, greater_is_better=True),
            runwell.models.make_metric(eval_fn=spread, greater_is_better=True),
        ],
    )
    assert result.metrics["doubled"] == pytest.approx(2 * result.metrics["spread"])


def test_a_metric_with_an_unknown_parameter_is_refused_by_name() -> None:
    def needs(nowhere: pd.Series) -> float:
        return 0.0

    with pytest.raises(InvalidArgument, match=r"needs needs \['nowhere'\]"):
        evaluate(
            data=_static(),
            targets="y",
            predictions="guess",
            extra_metrics=[runwell.models.make_metric(eval_fn=needs, greater_is_better=True)],
        )


def test_make_metric_wants_a_name_for_a_lambda_and_a_bool() -> None:
    with pytest.raises(InvalidArgument, match="needs a `name`"):
        runwell.models.make_metric(eval_fn=lambda predictions: 0.0, greater_is_better=True)
    with pytest.raises(InvalidArgument, match="greater_is_better"):
        runwell.models.make_metric(eval_fn=len, greater_is_better="yes")
    metric = runwell.models.make_metric(
        eval_fn=lambda predictions: 0.0, greater_is_better=True, name="zero"
    )
    assert isinstance(metric, runwell.models.EvaluationMetric) and metric.name == "zero"


def test_custom_artifacts_are_logged_by_kind() -> None:
    def make(eval_df: pd.DataFrame, builtin: dict[str, Any], folder: str) -> dict[str, Any]:
        path = Path(folder) / "notes.txt"
        path.write_text(f"rows={len(eval_df)}")
        figure = Figure()
        figure.add_subplot(1, 1, 1).plot(eval_df["prediction"], eval_df["target"], ".")
        return {
            "head": eval_df.head(3),
            "summary": {"mse": builtin["mean_squared_error"].aggregate_results},
            "scatter": figure,
            "notes": str(path),
            "errors": (eval_df["prediction"] - eval_df["target"]).to_numpy(),
        }

    result = evaluate(
        data=_static(),
        targets="y",
        predictions="guess",
        model_type="regressor",
        custom_artifacts=[make],
    )
    files = {f.path for f in runwell.RunwellClient().list_artifacts(run_id_of(result))}
    assert {"head.csv", "summary.json", "scatter.png", "notes.txt", "errors.npy"} <= files
    assert list(result.artifacts["head"].content.columns) == ["prediction", "target"]
    assert result.artifacts["summary"].content == json.loads(
        json.dumps({"mse": {"mean_squared_error": result.metrics["mean_squared_error"]}})
    )
    assert result.artifacts["notes"].content == "rows=30"
    assert result.artifacts["errors"].content.shape == (30,)
    assert result.artifacts["scatter"].content.size[0] > 0


def test_a_custom_artifact_that_cannot_be_written_names_the_function() -> None:
    def bad(eval_df: pd.DataFrame, builtin: dict[str, Any], folder: str) -> dict[str, Any]:
        return {"thing": object()}

    with pytest.raises(InvalidArgument, match=r"function 'bad' \(#0\) produced artifact 'thing'"):
        evaluate(
            data=_static(),
            targets="y",
            predictions="guess",
            model_type="regressor",
            custom_artifacts=[bad],
        )
