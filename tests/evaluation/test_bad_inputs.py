"""Bad arguments are refused before anything is logged, naming the argument and what fits."""

from __future__ import annotations

from typing import Any

import pytest

import runwell
from runwell.errors import InvalidArgument
from runwell.evaluation import evaluate
from tests.evaluation.builders import binary_frame, classifier

FRAME = binary_frame(rows=12)
MODEL = classifier(FRAME)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"model_type": "ranker", "targets": "label"}, "Invalid model_type 'ranker'"),
        ({"model_type": "text", "targets": "label"}, "GenAI types"),
        ({"model_type": "classifier"}, "Missing targets"),
        ({"model_type": "classifier", "targets": "y"}, "Invalid targets 'y': not a column"),
        ({"model_type": "classifier", "targets": 3}, "targets must be the name"),
        ({"model_type": None, "targets": "label"}, "extra_metrics"),
        ({"model_type": "classifier", "targets": "label", "evaluators": "shap"}, "evaluators"),
        ({"model_type": "classifier", "targets": "label", "env_manager": "conda"}, "conda"),
        ({"model_type": "classifier", "targets": "label", "env_manager": "x"}, "env_manager"),
        (
            {"model_type": "classifier", "targets": "label", "inference_params": {"t": 1}},
            "inference_params",
        ),
        (
            {"model_type": "classifier", "targets": "label", "extra_metrics": [len]},
            "builtin_function_or_method is not an EvaluationMetric",
        ),
        (
            {"model_type": "classifier", "targets": "label", "custom_artifacts": "f"},
            "custom_artifacts",
        ),
        (
            {"model_type": "classifier", "targets": "label", "evaluator_config": [1]},
            "evaluator_config",
        ),
        (
            {"model_type": "classifier", "targets": "label", "feature_names": ["a", "z"]},
            r"feature_names: \['z'\]",
        ),
        (
            {"model_type": "classifier", "targets": "label", "model_config": {"k": 1}},
            "model_config",
        ),
    ],
)
def test_bad_arguments_name_what_was_expected(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        evaluate(MODEL, FRAME, **kwargs)
    assert runwell.search_runs(output_format="list") == []


def test_static_evaluation_needs_an_existing_predictions_column() -> None:
    with pytest.raises(InvalidArgument, match="Either a model or predictions"):
        evaluate(data=FRAME, targets="label", model_type="classifier")
    with pytest.raises(InvalidArgument, match="Invalid predictions 'guess': not a column"):
        evaluate(data=FRAME, targets="label", predictions="guess", model_type="classifier")
    with pytest.raises(InvalidArgument, match="data must be a pandas DataFrame"):
        evaluate(data=FRAME.to_numpy(), targets="label", model_type="classifier")


def test_bad_data_and_models_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="Missing data"):
        evaluate(MODEL, model_type="classifier", targets="label")
    with pytest.raises(InvalidArgument, match="Invalid data of type dict"):
        evaluate(MODEL, {"a": [1]}, model_type="classifier", targets="label")
    with pytest.raises(InvalidArgument, match="Invalid model of type int"):
        evaluate(3, FRAME, model_type="classifier", targets="label")
    with pytest.raises(InvalidArgument, match="12 labels for 11 rows"):
        evaluate(
            MODEL,
            FRAME[["a", "b"]].to_numpy()[:11],
            targets=FRAME["label"].to_numpy(),
            model_type="classifier",
        )
    with pytest.raises(InvalidArgument, match="baseline_model needs a model"):
        evaluate(
            data=FRAME,
            targets="label",
            predictions="label",
            model_type="classifier",
            baseline_model=MODEL,
        )


def test_pos_label_must_be_one_of_the_labels() -> None:
    with pytest.raises(InvalidArgument, match="pos_label 7"):
        evaluate(
            MODEL,
            FRAME,
            targets="label",
            model_type="classifier",
            evaluator_config={"pos_label": 7},
        )
