"""The default evaluator: compute an evaluation in memory, then log it to a run.

``compute`` predicts (or reads the static predictions), scores sklearn models with their own
``score``, adds the model type's built-in metrics, the plots and tables it draws, and the
extra metrics. ``log`` writes the scalar metrics at step 0, each figure as
``<prefix><name>.png``, the per-row ``eval_results_table.json`` (MLflow's table format, so
``runwell.load_table`` reads it) and the custom artifacts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runwell.errors import InvalidArgument
from runwell.evaluation import classifier, plots
from runwell.evaluation.custom_artifacts import log_custom_artifacts
from runwell.evaluation.dataset import EvalData
from runwell.evaluation.metrics import (
    EvaluationMetric,
    MetricValue,
    aggregate,
    compute_extra_metrics,
)
from runwell.evaluation.model_source import Predictor, predictions_of
from runwell.evaluation.regressor import regressor_metrics
from runwell.evaluation.result import (
    CsvEvaluationArtifact,
    EvaluationArtifact,
    ImageEvaluationArtifact,
    TableEvaluationArtifact,
)
from runwell.tracking import fluent
from runwell.tracking.fluent_artifacts import log_artifact, log_table

_logger = logging.getLogger(__name__)
EVAL_TABLE = "eval_results_table"


@dataclass
class Evaluation:
    values: dict[str, MetricValue]
    y_pred: Any
    figures: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, Any] = field(default_factory=dict)


def compute(
    predictor: Predictor | None,
    data: EvalData,
    model_type: str | None,
    config: Mapping[str, Any],
    extra_metrics: Sequence[EvaluationMetric],
    predictions: str | None,
    draw: bool = True,
) -> Evaluation:
    """Every metric (and, with ``draw``, every plot) of one model on ``data``."""
    features = data.features.copy()
    y_pred: Any
    if predictor is None:
        y_pred = data.predictions
    else:
        y_pred = predictions_of(predictor.model.predict(features.copy()), predictions)
    if data.labels is not None and len(y_pred) != len(data.labels):
        raise InvalidArgument(
            f"The model returned {len(y_pred)} predictions for {len(data.labels)} rows of data."
        )
    values: dict[str, MetricValue] = {}
    if predictor is not None and predictor.sklearn and data.labels is not None and model_type:
        _score(predictor.model, features, data.labels, config, values)
    evaluation = Evaluation(values, y_pred)
    if model_type == "classifier":
        _classify(predictor, features, data.labels, evaluation, config, draw)
    elif model_type == "regressor":
        for name, number in regressor_metrics(data.labels, y_pred, config).items():
            values[name] = MetricValue(aggregate_results={name: number})
    compute_extra_metrics(extra_metrics, values, y_pred, data.labels, features, config)
    return evaluation


def _score(
    model: Any,
    features: Any,
    labels: Any,
    config: Mapping[str, Any],
    values: dict[str, MetricValue],
) -> None:
    try:
        score = model.score(features, labels, sample_weight=config.get("sample_weights"))
    except Exception as exc:  # MLflow logs a warning and goes on without the score
        _logger.warning("Computing the sklearn model's score failed: %r", exc)
        return
    values["score"] = MetricValue(aggregate_results={"score": float(score)})


def _classify(
    predictor: Predictor | None,
    features: Any,
    y_true: Any,
    evaluation: Evaluation,
    config: Mapping[str, Any],
    draw: bool,
) -> None:
    y_pred = evaluation.y_pred
    labels = classifier.labels_of(y_true, y_pred, config)
    proba = None if predictor is None else classifier.probabilities(predictor.model, features)
    numbers = classifier.classifier_metrics(y_true, y_pred, proba, labels, config)
    for name, number in numbers.items():
        evaluation.values[name] = MetricValue(aggregate_results={name: number})
    if not draw:
        return
    weights = config.get("sample_weights")
    figures = evaluation.figures
    if not labels.binary:
        evaluation.frames["per_class_metrics"] = classifier.per_class_metrics(
            y_true, y_pred, labels, config
        )
    curves = labels.binary or len(labels.values) <= config.get(
        "max_classes_for_multiclass_roc_pr", 10
    )
    if proba is not None and curves:
        figures["roc_curve_plot"] = plots.roc_curve(y_true, proba, labels, weights)
        figures["precision_recall_curve_plot"] = plots.precision_recall_curve(
            y_true, proba, labels, weights
        )
    if proba is not None:
        bins = int(config.get("calibration_n_bins", 10))
        figures["calibration_curve_plot"] = plots.calibration_curve(y_true, proba, labels, bins)
    figures["confusion_matrix"] = plots.confusion_matrix(y_true, y_pred, labels, weights)


def log(
    evaluation: Evaluation,
    data: EvalData,
    run_id: str,
    config: Mapping[str, Any],
    predictions: str | None,
    custom_artifacts: Sequence[Any],
) -> tuple[dict[str, float], dict[str, EvaluationArtifact]]:
    """Log ``evaluation`` to ``run_id``; the logged metrics and artifacts by name."""
    import tempfile

    prefix = str(config.get("metric_prefix") or "")
    metrics = {f"{prefix}{name}": value for name, value in aggregate(evaluation.values).items()}
    if metrics:
        fluent.log_metrics(metrics, step=0, run_id=run_id, synchronous=True)
    base = fluent.get_run(run_id).info.artifact_uri.rstrip("/")
    artifacts: dict[str, EvaluationArtifact] = {}
    with tempfile.TemporaryDirectory(prefix="runwell-eval-") as folder:
        for name, figure in evaluation.figures.items():
            file = f"{prefix}{name}.png"
            path = f"{folder}/{file}"
            figure.savefig(path, bbox_inches="tight")
            log_artifact(path, run_id=run_id)
            artifacts[name] = ImageEvaluationArtifact.from_file(f"{base}/{file}", path)
        for name, frame in evaluation.frames.items():
            file = f"{prefix}{name}.csv"
            frame.to_csv(f"{folder}/{file}", index=False)
            log_artifact(f"{folder}/{file}", run_id=run_id)
            artifacts[name] = CsvEvaluationArtifact(f"{base}/{file}", frame)
        table = _results_table(evaluation, data, predictions)
        file = f"{prefix}{EVAL_TABLE}.json"
        log_table(table, file, run_id=run_id)
        artifacts[EVAL_TABLE] = TableEvaluationArtifact(f"{base}/{file}", table)
        artifacts.update(
            log_custom_artifacts(
                custom_artifacts, evaluation, data, run_id, f"{base}", folder, prefix
            )
        )
    return metrics, artifacts


def _results_table(evaluation: Evaluation, data: EvalData, predictions: str | None) -> Any:
    """Features, target, the model's outputs and each per-row score, one row per example."""
    import pandas as pd

    table = data.features.reset_index(drop=True).copy()
    if data.labels is not None:
        table[data.targets_name or "target"] = data.labels
    table[predictions or "outputs"] = pd.Series(evaluation.y_pred).to_numpy()
    for name, value in evaluation.values.items():
        if value.scores is not None:
            table[f"{name}/score"] = value.scores
        if value.justifications is not None:
            table[f"{name}/justification"] = value.justifications
    return table
