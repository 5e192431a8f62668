"""``runwell.evaluate`` (also ``runwell.models.evaluate``): score a model on labelled data and
log the result to a run, with MLflow 3's arguments and metric names.

    result = runwell.evaluate(
        "runs:/<run_id>/model", df, targets="label", model_type="classifier"
    )
    result.metrics["accuracy_score"], result.artifacts["confusion_matrix"].uri

With no ``model``, ``predictions`` names the column of ``data`` holding the model's outputs.
Metrics and artifacts go to the active run, or to a new run that ends with the call. Beyond
MLflow 3 (as MLflow 2 had them): ``baseline_model`` is scored on the same data, its metrics
land in ``result.baseline_model_metrics`` (not logged), and ``validation_thresholds`` is
checked with ``validate_evaluation_results`` after logging.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runwell.data import from_pandas
from runwell.errors import InvalidArgument
from runwell.evaluation import evaluator
from runwell.evaluation.custom_artifacts import check_custom_artifacts
from runwell.evaluation.dataset import EvalData, eval_data
from runwell.evaluation.metrics import aggregate, check_extra_metrics
from runwell.evaluation.model_source import predictor
from runwell.evaluation.result import EvaluationResult
from runwell.evaluation.validation import MetricThreshold, validate_evaluation_results
from runwell.tracking import fluent

MODEL_TYPES = ("classifier", "regressor")
# MLflow's GenAI model types, which its LLM judges serve; named so the error can say so.
_GENAI_TYPES = ("question-answering", "text-summarization", "text", "retriever")


def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    model_type: str | None = None,
    targets: Any = None,
    predictions: str | None = None,
    dataset_path: str | None = None,
    feature_names: Sequence[str] | None = None,
    evaluators: Any = None,
    evaluator_config: Mapping[str, Any] | None = None,
    extra_metrics: Sequence[Any] | None = None,
    custom_artifacts: Sequence[Any] | None = None,
    env_manager: str = "local",
    model_config: Mapping[str, Any] | None = None,
    baseline_model: Any = None,
    inference_params: Mapping[str, Any] | None = None,
    model_id: str | None = None,
    validation_thresholds: Mapping[str, MetricThreshold] | None = None,
) -> EvaluationResult:
    """Evaluate ``model`` on ``data`` and log metrics and artifacts to the active run.

    Args:
        model: a model URI (``runs:/``, ``models:/``, a path), a PyFuncModel, an object with
            ``predict``, a function of the features, or None to evaluate ``predictions``.
        data: a pandas DataFrame, or a numpy array / list of rows with ``targets`` an array.
        model_type: ``"classifier"``, ``"regressor"``, or None (then ``extra_metrics`` only).
        targets: the label column's name (DataFrame) or the labels (array data).
        predictions: with no model, the column of ``data`` with the outputs; with a model
            returning several columns, the one to evaluate.
        dataset_path: recorded as the source of the logged input dataset.
        feature_names: the feature columns (default: every column but targets/predictions).
        evaluators: None or ``"default"`` (runwell has one evaluator).
        evaluator_config: ``pos_label``, ``label_list``, ``average``, ``sample_weights``,
            ``metric_prefix``, ``col_mapping``, ``max_classes_for_multiclass_roc_pr``.
        extra_metrics: metrics from ``runwell.models.make_metric``.
        custom_artifacts: functions ``fn(eval_df, builtin_metrics, artifacts_dir)``.
        env_manager: only ``"local"``.
        model_config: passed to ``runwell.pyfunc.load_model`` for a model URI.
        baseline_model: a second model (any form ``model`` takes) to compare with.
        inference_params: refused: they apply to MLflow Deployments endpoints only.
        model_id: the logged model evaluated (checked against a ``models:/m-...`` URI).
        validation_thresholds: metric name -> MetricThreshold, checked after logging.

    Raises:
        InvalidArgument: an argument is missing or has the wrong shape.
        ModelValidationFailedException: a validation threshold was missed.
    """
    config = _config(evaluator_config)
    _check_arguments(data, model_type, targets, evaluators, inference_params)
    extra = check_extra_metrics(extra_metrics)
    if model_type is None and not extra:
        raise InvalidArgument(
            "With model_type=None, evaluate computes extra_metrics only: pass "
            "extra_metrics=[...] or model_type='classifier' / 'regressor'."
        )
    functions = check_custom_artifacts(custom_artifacts)
    mapping = config.get("col_mapping") or {}
    if isinstance(targets, str):
        targets = mapping.get(targets, targets)
    if isinstance(predictions, str):
        predictions = mapping.get(predictions, predictions)
    if baseline_model is not None and model is None:
        raise InvalidArgument("baseline_model needs a model to compare with: pass `model` too.")
    candidate = None if model is None else predictor(model, model_config, env_manager)
    known = None if candidate is None else candidate.model_id
    if model_id is not None and known not in (None, model_id):
        raise InvalidArgument(
            f"Invalid model_id {model_id!r}: the model evaluated is {known!r}; "
            "omit model_id or make them match."
        )
    baseline = None if baseline_model is None else predictor(baseline_model, None, env_manager)
    split = eval_data(data, targets, predictions, feature_names, static=candidate is None)
    evaluation = evaluator.compute(candidate, split, model_type, config, extra, predictions)
    baseline_metrics = None
    if baseline is not None:
        done = evaluator.compute(baseline, split, model_type, config, extra, predictions, False)
        prefix = str(config.get("metric_prefix") or "")
        baseline_metrics = {f"{prefix}{k}": v for k, v in aggregate(done.values).items()}
    with _run() as run_id:
        _log_dataset(split, dataset_path)
        metrics, artifacts = evaluator.log(
            evaluation, split, run_id, config, predictions, functions
        )
    result = EvaluationResult(metrics, artifacts, run_id, baseline_metrics)
    if validation_thresholds is not None:
        baseline_result = None
        if baseline_metrics is not None:
            baseline_result = EvaluationResult(baseline_metrics, {}, run_id)
        validate_evaluation_results(validation_thresholds, result, baseline_result)
    return result


def _config(evaluator_config: Mapping[str, Any] | None) -> dict[str, Any]:
    if evaluator_config is None:
        return {}
    if not isinstance(evaluator_config, Mapping):
        raise InvalidArgument(
            f"Invalid evaluator_config of type {type(evaluator_config).__name__}: expected a "
            "dict of options (pos_label, average, metric_prefix ...)."
        )
    if "default" in evaluator_config and isinstance(evaluator_config["default"], Mapping):
        return dict(evaluator_config["default"])  # {evaluator name: its config}, MLflow's form
    return dict(evaluator_config)


def _check_arguments(
    data: Any, model_type: Any, targets: Any, evaluators: Any, inference_params: Any
) -> None:
    if inference_params is not None:
        raise InvalidArgument(
            "inference_params applies to MLflow Deployments endpoint URIs, which runwell does "
            "not evaluate; leave it out."
        )
    if data is None:
        raise InvalidArgument("Missing data: pass the evaluation data as `data`.")
    if model_type in _GENAI_TYPES:
        raise InvalidArgument(
            f"model_type {model_type!r} is one of MLflow's GenAI types, which runwell does not "
            f"evaluate; supported: {', '.join(MODEL_TYPES)} (or None with extra_metrics)."
        )
    if model_type is not None and model_type not in MODEL_TYPES:
        raise InvalidArgument(
            f"Invalid model_type {model_type!r}: expected one of {', '.join(MODEL_TYPES)}, "
            "or None with extra_metrics."
        )
    if model_type is not None and targets is None:
        raise InvalidArgument(
            f"Missing targets: a {model_type} is evaluated against labels; pass the label "
            "column's name (or, for array data, the labels) as `targets`."
        )
    if evaluators not in (None, "default", ["default"]):
        raise InvalidArgument(
            f"Invalid evaluators {evaluators!r}: runwell has one evaluator, 'default'."
        )


@contextlib.contextmanager
def _run() -> Iterator[str]:
    """The active run's id, or a new run's that ends with the block (as MLflow does)."""
    active = fluent.active_run()
    if active is not None:
        yield active.info.run_id
        return
    with fluent.start_run() as run:
        yield run.info.run_id


def _log_dataset(split: EvalData, dataset_path: str | None) -> None:
    if split.frame is not None:
        fluent.log_input(from_pandas(split.frame, source=dataset_path))
