"""runwell.evaluation: ``evaluate`` a model on labelled data, custom metrics and validation.

    result = runwell.evaluate(model_uri, df, targets="label", model_type="classifier")
    runwell.validate_evaluation_results(
        {"accuracy_score": MetricThreshold(threshold=0.8, greater_is_better=True)}, result
    )

Imported on first use (``runwell.evaluate``, ``runwell.models.evaluate``); sklearn, pandas
and matplotlib load inside the functions that need them.
"""

from runwell.evaluation.api import evaluate
from runwell.evaluation.metrics import EvaluationMetric, MetricValue, make_metric
from runwell.evaluation.result import EvaluationArtifact, EvaluationResult
from runwell.evaluation.validation import (
    MetricThreshold,
    ModelValidationFailedException,
    validate_evaluation_results,
)

__all__ = [
    "EvaluationArtifact",
    "EvaluationMetric",
    "EvaluationResult",
    "MetricThreshold",
    "MetricValue",
    "ModelValidationFailedException",
    "evaluate",
    "make_metric",
    "validate_evaluation_results",
]
