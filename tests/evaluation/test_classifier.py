"""Classifiers: MLflow's metric names and values, plots and the results table, on real runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as sk

import runwell
import runwell.sklearn
from runwell.evaluation import EvaluationResult, evaluate
from tests.evaluation.builders import binary_frame, classifier, multiclass_frame, run_id_of

BINARY = {
    "score",
    "true_negatives",
    "false_positives",
    "false_negatives",
    "true_positives",
    "example_count",
    "accuracy_score",
    "recall_score",
    "precision_score",
    "f1_score",
    "log_loss",
    "roc_auc",
    "precision_recall_auc",
}


def test_binary_classifier_logs_mlflow_metrics_plots_and_table_to_a_new_run() -> None:
    frame = binary_frame()
    model = classifier(frame)
    result = evaluate(model, frame, targets="label", model_type="classifier")

    assert set(result.metrics) == BINARY
    X, y = frame[["a", "b"]], frame["label"]
    pred, proba = model.predict(X), model.predict_proba(X)[:, 1]
    tn, fp, fn, tp = sk.confusion_matrix(y, pred).ravel()
    assert result.metrics["true_positives"] == tp and result.metrics["false_negatives"] == fn
    assert result.metrics["true_negatives"] == tn and result.metrics["false_positives"] == fp
    assert result.metrics["accuracy_score"] == pytest.approx(sk.accuracy_score(y, pred))
    assert result.metrics["f1_score"] == pytest.approx(sk.f1_score(y, pred))
    assert result.metrics["roc_auc"] == pytest.approx(sk.roc_auc_score(y, proba))
    assert result.metrics["precision_recall_auc"] == pytest.approx(
        sk.average_precision_score(y, proba)
    )
    assert result.metrics["example_count"] == 40

    # No run was active: evaluate started one, logged to it and ended it.
    assert runwell.active_run() is None
    run = runwell.get_run(run_id_of(result))
    assert run.info.status == "FINISHED"
    assert run.data.metrics == pytest.approx(result.metrics)
    files = {f.path for f in runwell.RunwellClient().list_artifacts(run_id_of(result))}
    assert files == {
        "confusion_matrix.png",
        "roc_curve_plot.png",
        "precision_recall_curve_plot.png",
        "calibration_curve_plot.png",
        "eval_results_table.json",
    }
    assert result.artifacts["confusion_matrix"].uri.endswith("/confusion_matrix.png")
    assert result.artifacts["roc_curve_plot"].content.size[0] > 100  # a PIL image

    table = result.tables["eval_results_table"]
    assert list(table.columns) == ["a", "b", "label", "outputs"]
    assert table["outputs"].tolist() == pred.tolist()
    loaded = runwell.load_table("eval_results_table.json", run_ids=[run_id_of(result)])
    assert loaded["outputs"].tolist() == pred.tolist()
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["dataset"]


def test_evaluate_logs_to_the_active_run_and_leaves_it_open() -> None:
    frame = binary_frame()
    with runwell.start_run() as run:
        result = evaluate(classifier(frame), frame, targets="label", model_type="classifier")
        assert runwell.active_run() is not None
    assert run_id_of(result) == run.info.run_id
    assert runwell.get_run(run.info.run_id).data.metrics["accuracy_score"] > 0.7


def test_multiclass_classifier_averages_weighted_and_logs_per_class_metrics() -> None:
    frame = multiclass_frame()
    model = classifier(frame)
    result = evaluate(model, frame, targets="label", model_type="classifier")

    X, y = frame[["a", "b"]], frame["label"]
    pred, proba = model.predict(X), model.predict_proba(X)
    assert "true_positives" not in result.metrics
    assert result.metrics["f1_score"] == pytest.approx(sk.f1_score(y, pred, average="weighted"))
    assert result.metrics["log_loss"] == pytest.approx(sk.log_loss(y, proba))
    assert result.metrics["roc_auc"] == pytest.approx(
        sk.roc_auc_score(y, proba, average="weighted", multi_class="ovr")
    )
    per_class = result.artifacts["per_class_metrics"].content
    assert per_class["positive_class"].tolist() == [0, 1, 2]
    assert per_class["true_positives"].sum() == (pred == y).sum()
    assert {"roc_curve_plot", "precision_recall_curve_plot", "confusion_matrix"} <= set(
        result.artifacts
    )


def test_static_predictions_column_needs_no_model_and_gives_no_probability_metrics() -> None:
    frame = binary_frame()
    frame["guess"] = classifier(frame).predict(frame[["a", "b"]])
    result = evaluate(data=frame, targets="label", predictions="guess", model_type="classifier")
    assert "log_loss" not in result.metrics and "score" not in result.metrics
    assert result.metrics["accuracy_score"] == pytest.approx(
        sk.accuracy_score(frame["label"], frame["guess"])
    )
    # The predictions column is not a feature; the table names outputs by it.
    assert list(result.tables["eval_results_table"].columns) == ["a", "b", "label", "guess"]
    assert set(result.artifacts) == {"confusion_matrix", "eval_results_table"}


def test_pos_label_and_metric_prefix_from_evaluator_config() -> None:
    frame = binary_frame()
    frame["guess"] = classifier(frame).predict(frame[["a", "b"]])
    result = evaluate(
        data=frame,
        targets="label",
        predictions="guess",
        model_type="classifier",
        evaluator_config={"pos_label": 0, "metric_prefix": "val_"},
    )
    expected = sk.recall_score(frame["label"], frame["guess"], pos_label=0)
    assert result.metrics["val_recall_score"] == pytest.approx(expected)
    assert result.artifacts["eval_results_table"].uri.endswith("/val_eval_results_table.json")


def test_model_uri_is_loaded_with_pyfunc_and_keeps_predict_proba() -> None:
    frame = binary_frame()
    model = classifier(frame)
    with runwell.start_run():
        info = runwell.sklearn.log_model(model, name="model")
        result = evaluate(info.model_uri, frame, targets="label", model_type="classifier")
    assert set(result.metrics) == BINARY
    proba = model.predict_proba(frame[["a", "b"]])
    assert result.metrics["log_loss"] == pytest.approx(sk.log_loss(frame["label"], proba))


def test_a_plain_function_is_a_model_without_probabilities() -> None:
    frame = binary_frame()

    def predict(features: object) -> np.ndarray:
        return (np.asarray(features)[:, 0] > 0).astype(int)

    result = evaluate(predict, frame, targets="label", model_type="classifier")
    assert "roc_auc" not in result.metrics and "score" not in result.metrics
    assert result.metrics["example_count"] == 40


def test_a_saved_result_loads_back_with_its_artifact_contents(tmp_path: Path) -> None:
    frame = binary_frame()
    result = evaluate(classifier(frame), frame, targets="label", model_type="classifier")
    result.save(str(tmp_path / "saved"))
    loaded = EvaluationResult.load(str(tmp_path / "saved"))
    assert loaded.metrics == result.metrics
    assert set(loaded.artifacts) == set(result.artifacts)
    assert loaded.artifacts["confusion_matrix"].content.size == (
        result.artifacts["confusion_matrix"].content.size
    )
    table = loaded.tables["eval_results_table"]
    assert list(table.columns) == ["a", "b", "label", "outputs"]
    assert table["outputs"].tolist() == result.tables["eval_results_table"]["outputs"].tolist()
