"""LightGBM autologging: real boosters and estimators on small data, into the test's store."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import runwell
import runwell.lightgbm
import runwell.pyfunc
from runwell.autologging import integrations, versions
from runwell.entities import Run, RunStatus
from runwell.errors import InvalidArgument
from runwell.models import Model
from runwell.models.uri import download_model
from tests.autolog.conftest import all_runs, only_run, rng

PARAMS = {"objective": "regression", "num_leaves": 7, "verbose": -1, "num_threads": 1}


@pytest.fixture(autouse=True)
def _lightgbm_range() -> Iterator[None]:
    declared = versions.supported_range("lightgbm")
    yield
    versions.set_supported_range("lightgbm", declared.minimum, declared.maximum)


@pytest.fixture
def regression() -> tuple[Any, Any, Any, Any]:
    X = rng().normal(size=(240, 5))
    y = X[:, 0] + X[:, 1] ** 2 + rng().normal(0, 0.3, 240)
    return X[:160], X[160:], y[:160], y[160:]


def _datasets(data: tuple[Any, Any, Any, Any]) -> tuple[lgb.Dataset, lgb.Dataset]:
    X_train, X_val, y_train, y_val = data
    train = lgb.Dataset(X_train, label=y_train)
    return train, lgb.Dataset(X_val, label=y_val, reference=train)


def _history(run: Run, key: str) -> list[tuple[int, float]]:
    points = runwell.RunwellClient().get_metric_history(run.info.run_id, key)
    return sorted((m.step, m.value) for m in points)


def _model_id(run: Run) -> str:
    (output,) = runwell.RunwellClient().get_run(run.info.run_id).outputs.model_outputs
    return output.model_id


def _artifact(run: Run, path: str) -> bytes:
    local = runwell.RunwellClient().download_artifacts(run.info.run_id, path)
    return Path(local).read_bytes()


def test_train_logs_params_per_iteration_metrics_model_and_dataset(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    train, valid = _datasets(regression)
    runwell.lightgbm.autolog()
    expected: dict[str, Any] = {}
    booster = lgb.train(
        PARAMS,
        train,
        6,
        valid_sets=[train, valid],
        valid_names=["train", "valid"],
        callbacks=[lgb.record_evaluation(expected)],
    )
    run = only_run()
    assert run.info.status == RunStatus.FINISHED
    assert run.data.tag_dict["mlflow.autologging"] == "lightgbm"
    params = run.data.param_dict
    assert params["num_leaves"] == "7" and params["objective"] == "regression"
    assert params["num_boost_round"] == "6" and params["keep_training_booster"] == "False"
    assert not {"train_set", "valid_sets", "callbacks"} & set(params)
    for data in ("train", "valid"):
        assert _history(run, f"{data}-l2") == list(enumerate(expected[data]["l2"]))
    assert "best_iteration" not in run.data.metric_dict  # no early stopping

    model_id = _model_id(run)
    X_val = regression[1]
    loaded = runwell.pyfunc.load_model(f"models:/{model_id}")
    assert np.allclose(loaded.predict(X_val), booster.predict(X_val))
    assert Model.load(f"models:/{model_id}").signature is not None
    (used,) = run.inputs.dataset_inputs  # taken before LightGBM freed the raw data
    assert train.data is None
    assert {t.key: t.value for t in used.tags} == {"mlflow.data.context": "train"}
    assert json.loads(str(used.dataset.profile))["features_shape"] == [160, 5]


def test_metrics_reach_the_store_while_training_runs(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    train, _ = _datasets(regression)
    seen: list[list[int]] = []

    def peek(env: Any) -> None:
        if env.iteration == 3:
            active = runwell.active_run()
            assert active is not None
            points = runwell.RunwellClient().get_metric_history(active.info.run_id, "train-l2")
            seen.append(sorted(m.step for m in points))

    runwell.lightgbm.autolog(log_models=False)
    lgb.train(PARAMS, train, 6, valid_sets=[train], valid_names=["train"], callbacks=[peek])
    # The user's callback (no order) runs before autolog's: iteration 3 is not recorded yet.
    (steps,) = seen
    assert steps[0] == 0 and max(steps) <= 2
    assert [step for step, _ in _history(only_run(), "train-l2")] == list(range(6))


def test_early_stopping_logs_stopped_and_best_iteration_and_the_best_metrics(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    train, valid = _datasets(regression)
    runwell.lightgbm.autolog(importance_types=[])
    booster = lgb.train(
        {**PARAMS, "learning_rate": 0.8, "num_leaves": 31, "min_data_in_leaf": 2},
        train,
        300,
        valid_sets=[valid],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(3, verbose=False)],
    )
    run = only_run()
    metrics = run.data.metric_dict
    trained = int(metrics["stopped_iteration"])
    assert 0 < booster.best_iteration < trained < 300  # it did stop early
    assert booster.best_iteration == booster.current_iteration()  # the trees it keeps
    assert metrics["best_iteration"] == booster.best_iteration
    history = _history(run, "valid-l2")
    assert [step for step, _ in history] == list(range(trained + 1))
    assert history[-1][1] == pytest.approx(booster.best_score["valid"]["l2"])
    assert history[-1][1] == history[booster.best_iteration - 1][1]
    X_val = regression[1]  # the logged model predicts with the best iteration, as the booster
    loaded = runwell.pyfunc.load_model(f"models:/{_model_id(run)}")
    assert np.allclose(loaded.predict(X_val), booster.predict(X_val))


def test_feature_importance_per_type_as_json_and_png(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = regression
    frame = pd.DataFrame(X_train, columns=["age", "income", "height", "weight", "score"])
    runwell.lightgbm.autolog(log_models=False)
    booster = lgb.train(PARAMS, lgb.Dataset(frame, label=y_train), 5)
    run = only_run()
    for kind in ("split", "gain"):
        logged = json.loads(_artifact(run, f"feature_importance_{kind}.json"))
        values = booster.feature_importance(importance_type=kind)
        assert logged == pytest.approx(dict(zip(frame.columns, values, strict=True)))
        assert sum(logged.values()) > 0
        assert _artifact(run, f"feature_importance_{kind}.png").startswith(b"\x89PNG\r\n")
    (used,) = run.inputs.dataset_inputs
    assert [c["name"] for c in json.loads(str(used.dataset.schema))["mlflow_colspec"]] == list(
        frame.columns
    )


def test_classifier_fit_logs_once_as_lightgbm_even_with_sklearn_autolog_on() -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    runwell.autolog(log_input_examples=True)  # scikit-learn and LightGBM both on
    model = lgb.LGBMClassifier(n_estimators=5, num_leaves=7, verbose=-1, n_jobs=1)
    assert model.fit(X[:150], y[:150], eval_X=(X[150:],), eval_y=(y[150:],)) is model

    run = only_run()
    tags = run.data.tag_dict
    assert tags["mlflow.autologging"] == "lightgbm" and tags["estimator_name"] == "LGBMClassifier"
    assert run.data.param_dict["n_estimators"] == "5" and run.data.param_dict["num_leaves"] == "7"
    assert "num_boost_round" not in run.data.param_dict  # the inner train() is not logged
    assert [s for s, _ in _history(run, "valid_0-binary_logloss")] == list(range(5))
    model_id = _model_id(run)
    loaded = runwell.pyfunc.load_model(f"models:/{model_id}")
    assert loaded.predict(X).tolist() == np.asarray(model.predict(X)).tolist()  # labels
    mlmodel = Model.load(f"models:/{model_id}")
    assert mlmodel.flavors["lightgbm"]["serialization_format"] == "skops"
    example = mlmodel.load_input_example(download_model(f"models:/{model_id}"))
    assert np.allclose(np.asarray(example), X[:5])

    Pipeline([("scale", StandardScaler()), ("lgb", lgb.LGBMRegressor(verbose=-1))]).fit(X, y)
    outer = all_runs()[-1]
    assert len(all_runs()) == 2 and outer.data.tag_dict["mlflow.autologging"] == "sklearn"
    assert "lgb__num_leaves" in outer.data.param_dict


def test_training_inside_a_user_run_logs_into_it_and_exclusive_keeps_out(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    train, _ = _datasets(regression)
    runwell.lightgbm.autolog(log_models=False, extra_tags={"team": "risk"})
    with runwell.start_run() as mine:
        lgb.train(PARAMS, train, 3, valid_sets=[train], valid_names=["train"])
    run = only_run()
    assert run.info.run_id == mine.info.run_id and run.info.status == RunStatus.FINISHED
    assert len(_history(run, "train-l2")) == 3 and run.data.tag_dict["team"] == "risk"

    runwell.lightgbm.autolog(exclusive=True, log_models=False)
    with runwell.start_run() as other:
        lgb.train(PARAMS, lgb.Dataset(regression[0], label=regression[2]), 3)
    runwell.autologging.flush()
    assert runwell.get_run(other.info.run_id).data.param_dict == {}
    lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(regression[0], regression[2])
    assert len(all_runs()) == 3
    assert all_runs()[-1].data.tag_dict["mlflow.autologging"] == "lightgbm"


def test_disable_restores_train_and_fit_and_logs_nothing(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    originals = (lgb.train, vars(lgb.sklearn)["train"], lgb.LGBMClassifier.__dict__["fit"])
    runwell.lightgbm.autolog()
    assert lgb.train is not originals[0] and vars(lgb.sklearn)["train"] is lgb.train
    runwell.autolog(disable=True)
    assert (lgb.train, vars(lgb.sklearn)["train"], lgb.LGBMClassifier.__dict__["fit"]) == originals
    lgb.train(PARAMS, _datasets(regression)[0], 2)
    lgb.LGBMRegressor(n_estimators=2, verbose=-1).fit(regression[0], regression[2])
    assert all_runs() == []


def test_an_unsupported_version_warns_with_the_range_and_stays_off(
    regression: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    versions.set_supported_range("lightgbm", "3.0", "3.3")
    original = lgb.train
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        runwell.lightgbm.autolog()
    (message,) = [r.getMessage() for r in caplog.records]
    assert "lightgbm 3.0 to 3.3" in message and lgb.__version__ in message
    assert lgb.train is original and not integrations.is_installed("lightgbm")
    lgb.train(PARAMS, _datasets(regression)[0], 2)
    assert all_runs() == []


def test_bad_options_are_refused_with_the_option_named() -> None:
    with pytest.raises(InvalidArgument, match="'importance_types': expected a list of split"):
        runwell.lightgbm.autolog(importance_types="gain")
    with pytest.raises(InvalidArgument, match="'importance_types': 'weight' is not one of"):
        runwell.lightgbm.autolog(importance_types=["weight"])
    with pytest.raises(InvalidArgument, match="'serialization_format': expected one of skops"):
        runwell.lightgbm.autolog(serialization_format="joblib")
    with pytest.raises(InvalidArgument, match="'silent' for lightgbm: expected True or False"):
        runwell.lightgbm.autolog(silent=1)  # type: ignore[arg-type]
    assert not integrations.is_installed("lightgbm")


def test_a_failing_autolog_step_is_a_warning_and_training_completes(
    regression: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    train, valid = _datasets(regression)
    runwell.lightgbm.autolog(synchronous=True)
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"), runwell.start_run():
        runwell.log_param("num_leaves", "63")  # autolog's num_leaves=7 is refused
        booster = lgb.train(PARAMS, train, 4, valid_sets=[valid], valid_names=["valid"])
    assert booster.current_iteration() == 4 and np.shape(booster.predict(regression[1])) == (80,)
    warnings = [r.getMessage() for r in caplog.records if r.name == "runwell.autologging"]
    assert len(warnings) == 1 and "while logging the params" in warnings[0], warnings
    run = only_run()
    assert len(_history(run, "valid-l2")) == 4 and run.data.param_dict["num_leaves"] == "63"
    assert _model_id(run)  # the other steps still ran


def test_the_users_training_error_propagates_and_the_run_fails(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    train, valid = _datasets(regression)

    def boom(env: Any) -> None:
        if env.iteration == 2:
            raise ValueError("the user's callback failed")

    runwell.lightgbm.autolog()
    with pytest.raises(ValueError, match="the user's callback failed"):
        lgb.train(PARAMS, train, 5, valid_sets=[valid], valid_names=["valid"], callbacks=[boom])
    run = only_run()
    assert run.info.status == RunStatus.FAILED
    assert [s for s, _ in _history(run, "valid-l2")] == [0, 1]  # recorded before the error
