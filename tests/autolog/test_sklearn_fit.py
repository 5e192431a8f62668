"""What one autologged fit records: params, tags, training metrics, model, dataset."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import runwell
import runwell.sklearn
from runwell.entities import RunStatus
from runwell.models import Model
from runwell.models.uri import download_model
from tests.autolog.conftest import all_runs, only_run, rng


def _model_ids(run_id: str) -> dict[str, str]:
    client = runwell.RunwellClient()
    run = client.get_run(run_id)
    found = {}
    for output in run.outputs.model_outputs:
        model = client.get_logged_model(output.model_id)
        found[model.name] = model.model_id
    return found


def test_classifier_fit_logs_params_tags_metrics_model_and_dataset(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog()
    model = LogisticRegression(C=0.5, max_iter=200)
    assert model.fit(X_train, y_train) is model
    runwell.autologging.flush()

    run = only_run()
    assert run.info.status == RunStatus.FINISHED
    tags = run.data.tag_dict
    assert tags["estimator_name"] == "LogisticRegression"
    assert tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert tags["mlflow.autologging"] == "sklearn"
    params = run.data.param_dict
    assert params["C"] == "0.5" and params["max_iter"] == "200"
    assert set(params) == set(model.get_params(deep=True))

    predicted = model.predict(X_train)
    proba = model.predict_proba(X_train)
    expected = {
        "training_accuracy_score": metrics.accuracy_score(y_train, predicted),
        "training_precision_score": metrics.precision_score(y_train, predicted, average="weighted"),
        "training_recall_score": metrics.recall_score(y_train, predicted, average="weighted"),
        "training_f1_score": metrics.f1_score(y_train, predicted, average="weighted"),
        "training_log_loss": metrics.log_loss(y_train, proba),
        "training_roc_auc": metrics.roc_auc_score(y_train, proba[:, 1]),
        "training_score": model.score(X_train, y_train),
    }
    assert run.data.metric_dict == pytest.approx(expected, rel=1e-9)

    models = _model_ids(run.info.run_id)
    assert list(models) == ["model"]
    loaded = runwell.sklearn.load_model(f"models:/{models['model']}")
    assert loaded.predict(X_train).tolist() == predicted.tolist()
    info = runwell.RunwellClient().get_logged_model(models["model"])
    assert info.status.name == "READY" and info.source_run_id == run.info.run_id
    mlmodel = Model.load(f"models:/{models['model']}")
    assert mlmodel.signature is not None and mlmodel.saved_input_example_info is None

    (used,) = run.inputs.dataset_inputs
    assert {t.key: t.value for t in used.tags} == {"mlflow.data.context": "train"}
    assert '"features_shape": [200, 6]' in str(used.dataset.profile)


def test_multiclass_metrics_match_scikit_learn() -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=1
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    runwell.sklearn.autolog(log_models=False, log_datasets=False)
    model = LogisticRegression(max_iter=500).fit(X, labels)

    logged = only_run().data.metric_dict
    predicted = model.predict(X)
    proba = model.predict_proba(X)
    assert logged["training_f1_score"] == pytest.approx(
        metrics.f1_score(labels, predicted, average="weighted")
    )
    assert logged["training_log_loss"] == pytest.approx(metrics.log_loss(labels, proba))
    assert logged["training_roc_auc"] == pytest.approx(
        metrics.roc_auc_score(labels, proba, multi_class="ovo", average="weighted")
    )


def test_regressor_metrics_use_the_sample_weights() -> None:
    X = rng().normal(size=(150, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng().normal(0, 0.3, 150)
    weight = rng().uniform(0.5, 2.0, 150)
    runwell.sklearn.autolog(log_models=False)
    model = Ridge(alpha=2.0).fit(X, y, sample_weight=weight)

    logged = only_run().data.metric_dict
    predicted = model.predict(X)
    mse = metrics.mean_squared_error(y, predicted, sample_weight=weight)
    assert logged == pytest.approx(
        {
            "training_mean_squared_error": mse,
            "training_root_mean_squared_error": mse**0.5,
            "training_mean_absolute_error": metrics.mean_absolute_error(
                y, predicted, sample_weight=weight
            ),
            "training_r2_score": metrics.r2_score(y, predicted, sample_weight=weight),
            "training_score": model.score(X, y, sample_weight=weight),
        }
    )


def test_clusterer_gets_its_score_and_a_sampled_silhouette() -> None:
    X = np.vstack([rng().normal(0, 1, (60, 2)), rng().normal(6, 1, (60, 2))])
    runwell.sklearn.autolog(log_models=False)
    model = KMeans(n_clusters=2, n_init=2, random_state=0).fit(X)
    runwell.autologging.flush()

    logged = only_run().data.metric_dict
    assert logged["training_silhouette_score"] == pytest.approx(
        metrics.silhouette_score(X, model.labels_)
    )
    assert "training_score" not in logged  # KMeans.fit(X) has no y: MLflow logs none either


def test_pipeline_logs_once_at_the_outer_level(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog()
    inner = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=3))])
    outer = Pipeline([("prep", inner), ("final", LinearRegression())])
    Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(C=2.0))]).fit(X_train, y_train)
    outer.fit(X_train, y_train.astype(float))
    runwell.autologging.flush()

    first, second = all_runs()
    assert first.data.tag_dict["estimator_name"] == "Pipeline"
    assert first.data.param_dict["lr__C"] == "2.0"
    assert "training_accuracy_score" in first.data.metric_dict
    assert second.data.param_dict["prep__pca__n_components"] == "3"
    assert "training_r2_score" in second.data.metric_dict
    assert set(_model_ids(first.info.run_id)) == {"model"}


def test_fit_inside_a_user_run_logs_into_it_and_exclusive_keeps_out(
    classification: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    X_train, _, y_train, _ = classification
    small = LogisticRegression(C=3.0).fit(X_train[:150], y_train[:150])
    expected = small.score(X_train[:150], y_train[:150])
    runwell.sklearn.autolog(log_models=False, log_datasets=False)
    with runwell.start_run() as mine:
        LogisticRegression().fit(X_train, y_train)
        runwell.autologging.flush()
        assert "training_score" in runwell.get_run(mine.info.run_id).data.metric_dict
    assert only_run().info.run_id == mine.info.run_id

    with runwell.start_run() as again, caplog.at_level(logging.WARNING):
        LogisticRegression(C=1.0).fit(X_train, y_train)
        LogisticRegression(C=3.0).fit(X_train[:150], y_train[:150])  # C cannot change
        runwell.autologging.flush()
    data = runwell.get_run(again.info.run_id).data
    assert data.param_dict["C"] == "1.0"
    assert data.metric_dict["training_score"] == pytest.approx(expected)
    assert "logging params, metrics and tags" in caplog.text

    runwell.sklearn.autolog(exclusive=True, log_models=False, log_datasets=False)
    with runwell.start_run() as other:
        LogisticRegression().fit(X_train, y_train)
    runwell.autologging.flush()
    assert runwell.get_run(other.info.run_id).data.metric_dict == {}
    LogisticRegression().fit(X_train, y_train)  # no user run: autolog starts its own
    assert len(all_runs()) == 4


def test_the_logged_model_is_the_fitted_one_even_when_refitted_at_once(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = classification
    runwell.autolog(log_datasets=False, extra_tags={"team": "fraud"})
    model = LogisticRegression(C=0.01)
    model.fit(X_train, y_train)
    first = runwell.last_active_run()
    assert first is not None
    coef = model.coef_.copy()
    model.set_params(C=100.0).fit(X_train, y_train)  # while the first model may be uploading
    runwell.autologging.flush()

    assert first.data.tag_dict["team"] == "fraud"
    logged = runwell.sklearn.load_model(f"models:/{_model_ids(first.info.run_id)['model']}")
    assert np.array_equal(logged.coef_, coef)
    assert logged.C == 0.01


def test_synchronous_logs_the_model_before_fit_returns_with_an_input_example(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog(synchronous=True, log_input_examples=True)
    LogisticRegression().fit(X_train, y_train)
    model_id = _model_ids(only_run().info.run_id)["model"]
    mlmodel = Model.load(f"models:/{model_id}")
    example = mlmodel.load_input_example(download_model(f"models:/{model_id}"))
    assert np.allclose(np.asarray(example), X_train[:5])


def test_a_model_that_cannot_be_copied_is_logged_before_fit_returns(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    from sklearn.preprocessing import FunctionTransformer

    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog(serialization_format="cloudpickle")
    model = Pipeline(
        [("double", FunctionTransformer(lambda x: x * 2)), ("lr", LogisticRegression())]
    )
    model.fit(X_train, y_train)  # a lambda: pickle cannot copy it for the background thread
    run = runwell.last_active_run()
    assert run is not None
    models = _model_ids(run.info.run_id)  # no flush: it was logged inline
    loaded = runwell.sklearn.load_model(f"models:/{models['model']}")
    assert loaded.predict(X_train).tolist() == model.predict(X_train).tolist()
