"""Model validation: MetricThreshold, validate_evaluation_results and baseline_model."""

from __future__ import annotations

import pytest

import runwell
from runwell.errors import InvalidArgument, RunwellError
from runwell.evaluation import (
    EvaluationResult,
    MetricThreshold,
    ModelValidationFailedException,
    evaluate,
)
from runwell.models import MetricThreshold as ModelsMetricThreshold
from tests.evaluation.builders import binary_frame, classifier, run_id_of


def _result(**metrics: float) -> EvaluationResult:
    return EvaluationResult(metrics, {})


def test_thresholds_pass_quietly() -> None:
    runwell.validate_evaluation_results(
        {
            "accuracy_score": MetricThreshold(
                threshold=0.8, min_absolute_change=0.05, greater_is_better=True
            ),
            "log_loss": MetricThreshold(min_relative_change=0.1, greater_is_better=False),
        },
        _result(accuracy_score=0.9, log_loss=0.4),
        _result(accuracy_score=0.84, log_loss=0.5),
    )


def test_failure_names_each_failed_metric_and_its_values() -> None:
    thresholds = {
        "accuracy_score": MetricThreshold(threshold=0.95, greater_is_better=True),
        "log_loss": MetricThreshold(min_absolute_change=0.2, greater_is_better=False),
        "f1_score": MetricThreshold(threshold=0.5, greater_is_better=True),
        "roc_auc": MetricThreshold(threshold=0.5, greater_is_better=True),
    }
    with pytest.raises(ModelValidationFailedException) as caught:
        runwell.validate_evaluation_results(
            thresholds,
            _result(accuracy_score=0.9, log_loss=0.4, f1_score=0.7),
            _result(log_loss=0.5),
        )
    message = str(caught.value)
    assert "accuracy_score threshold check failed: candidate accuracy_score = 0.9" in message
    assert "log_loss minimum absolute change check failed" in message
    assert "baseline log_loss = 0.5" in message
    assert "roc_auc is missing from the candidate" in message
    assert "f1_score" not in message
    assert isinstance(caught.value, RunwellError)
    assert caught.value.error_code == "BAD_REQUEST"


def test_relative_change_scales_by_the_baseline_magnitude() -> None:
    bound = {"r2_score": MetricThreshold(min_relative_change=0.5, greater_is_better=True)}
    runwell.validate_evaluation_results(bound, _result(r2_score=-0.4), _result(r2_score=-1.0))
    with pytest.raises(ModelValidationFailedException, match="minimum relative change"):
        runwell.validate_evaluation_results(bound, _result(r2_score=-0.6), _result(r2_score=-1.0))
    with pytest.raises(ModelValidationFailedException, match="missing from the baseline"):
        runwell.validate_evaluation_results(bound, _result(r2_score=1.0))


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"greater_is_better": True}, "threshold, min_absolute_change or min_relative_change"),
        ({"threshold": 0.5}, "greater_is_better"),
        ({"threshold": "high", "greater_is_better": True}, "threshold 'high'"),
        ({"min_absolute_change": -1, "greater_is_better": True}, "min_absolute_change -1"),
        ({"min_relative_change": 2.0, "greater_is_better": False}, "min_relative_change 2.0"),
    ],
)
def test_metric_threshold_rejects_bad_bounds(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        MetricThreshold(**kwargs)  # type: ignore[arg-type]


def test_validate_rejects_thresholds_that_are_not_metric_thresholds() -> None:
    with pytest.raises(InvalidArgument, match="validation_thresholds"):
        runwell.validate_evaluation_results({"accuracy_score": 0.8}, _result())  # type: ignore[dict-item]


def test_baseline_model_is_compared_by_evaluate() -> None:
    frame = binary_frame()
    shuffled = frame.assign(label=frame["label"].sample(frac=1, random_state=3).to_numpy())
    good, weak = classifier(frame), classifier(shuffled)
    bound = {"log_loss": MetricThreshold(min_absolute_change=0.05, greater_is_better=False)}
    assert ModelsMetricThreshold is MetricThreshold

    result = evaluate(
        good,
        frame,
        targets="label",
        model_type="classifier",
        baseline_model=weak,
        validation_thresholds=bound,
    )
    assert result.baseline_model_metrics is not None
    assert result.baseline_model_metrics["log_loss"] > result.metrics["log_loss"] + 0.05
    # Only the candidate's metrics are logged.
    assert runwell.get_run(run_id_of(result)).data.metrics == pytest.approx(result.metrics)

    with pytest.raises(ModelValidationFailedException, match="log_loss minimum absolute"):
        evaluate(
            weak,
            frame,
            targets="label",
            model_type="classifier",
            baseline_model=good,
            validation_thresholds=bound,
        )
