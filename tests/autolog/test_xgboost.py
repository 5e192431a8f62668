"""XGBoost autologging: real boosters and estimators on small data, into the test's store."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import runwell
import runwell.pyfunc
import runwell.xgboost
from runwell.autologging import integrations, versions
from runwell.entities import Run, RunStatus
from runwell.errors import InvalidArgument
from runwell.models import Model
from runwell.models.uri import download_model
from tests.autolog.conftest import all_runs, only_run, rng

PARAMS = {"max_depth": 3, "eta": 0.3, "objective": "reg:squarederror", "nthread": 1}


@pytest.fixture(autouse=True)
def _xgboost_range() -> Iterator[None]:
    declared = versions.supported_range("xgboost")
    yield
    versions.set_supported_range("xgboost", declared.minimum, declared.maximum)


@pytest.fixture
def regression() -> tuple[Any, Any, Any, Any]:
    X = rng().normal(size=(240, 5))
    y = X[:, 0] + X[:, 1] ** 2 + rng().normal(0, 0.3, 240)
    return X[:160], X[160:], y[:160], y[160:]


def _matrices(data: tuple[Any, Any, Any, Any]) -> tuple[xgb.DMatrix, xgb.DMatrix]:
    X_train, X_val, y_train, y_val = data
    return xgb.DMatrix(X_train, label=y_train), xgb.DMatrix(X_val, label=y_val)


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
    dtrain, dval = _matrices(regression)
    runwell.xgboost.autolog()
    expected: dict[str, Any] = {}
    booster = xgb.train(
        PARAMS, dtrain, 8, evals=[(dtrain, "train"), (dval, "eval")], evals_result=expected
    )
    run = only_run()
    assert run.info.status == RunStatus.FINISHED
    assert run.data.tag_dict["mlflow.autologging"] == "xgboost"
    params = run.data.param_dict
    assert params["max_depth"] == "3" and params["eta"] == "0.3" and params["nthread"] == "1"
    assert params["num_boost_round"] == "8" and params["early_stopping_rounds"] == "None"
    assert not {"dtrain", "evals", "callbacks", "evals_result"} & set(params)
    for data, key in (("train", "train-rmse"), ("eval", "eval-rmse")):
        assert _history(run, key) == list(enumerate(expected[data]["rmse"]))
    assert "stopped_iteration" not in run.data.metric_dict  # no early stopping

    model_id = _model_id(run)
    loaded = runwell.pyfunc.load_model(f"models:/{model_id}")
    X_val = regression[1]
    assert np.allclose(loaded.predict(X_val), booster.predict(dval))
    mlmodel = Model.load(f"models:/{model_id}")
    assert mlmodel.signature is not None and mlmodel.flavors["xgboost"]["model_format"] == "ubj"
    (used,) = run.inputs.dataset_inputs
    assert {t.key: t.value for t in used.tags} == {"mlflow.data.context": "train"}
    assert json.loads(str(used.dataset.profile))["features_shape"] == [160, 5]


def test_metrics_reach_the_store_while_training_runs(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    dtrain, _ = _matrices(regression)
    seen: list[list[int]] = []

    class Peek(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if epoch == 3:
                active = runwell.active_run()
                assert active is not None
                points = runwell.RunwellClient().get_metric_history(
                    active.info.run_id, "train-rmse"
                )
                seen.append(sorted(m.step for m in points))
            return False

    runwell.xgboost.autolog(log_models=False)
    xgb.train(PARAMS, dtrain, 6, evals=[(dtrain, "train")], callbacks=[Peek()], verbose_eval=False)
    # The user's callback runs before autolog's: iteration 3 is not recorded yet.
    (steps,) = seen
    assert steps[0] == 0 and max(steps) <= 2
    assert [step for step, _ in _history(only_run(), "train-rmse")] == list(range(6))


def test_early_stopping_logs_stopped_and_best_iteration_and_the_best_metrics(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    dtrain, dval = _matrices(regression)
    runwell.xgboost.autolog(log_models=False, importance_types=[])
    booster = xgb.train(
        {**PARAMS, "eta": 0.9, "max_depth": 6},
        dtrain,
        300,
        evals=[(dtrain, "train"), (dval, "eval")],
        early_stopping_rounds=3,
        verbose_eval=False,
    )
    rounds = booster.num_boosted_rounds()
    assert rounds < 300  # it did stop early
    run = only_run()
    metrics = run.data.metric_dict
    assert metrics["stopped_iteration"] == rounds - 1
    assert metrics["best_iteration"] == booster.best_iteration
    history = _history(run, "eval-rmse")
    assert [step for step, _ in history] == list(range(rounds + 1))
    assert history[-1][1] == history[booster.best_iteration][1]
    assert history[-1][1] == pytest.approx(booster.best_score)
    assert _history(run, "train-rmse")[-1][0] == rounds
    names = [a.path for a in runwell.RunwellClient().list_artifacts(run.info.run_id)]
    assert not [name for name in names if name.startswith("feature_importance")]
    assert runwell.RunwellClient().get_run(run.info.run_id).outputs.model_outputs == ()


def test_feature_importance_per_type_as_json_and_png(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = regression
    frame = pd.DataFrame(X_train, columns=["age", "income", "height", "weight", "score"])
    dtrain = xgb.DMatrix(frame, label=y_train)
    runwell.xgboost.autolog(importance_types=["weight", "gain"], log_models=False)
    booster = xgb.train(PARAMS, dtrain, 5)
    run = only_run()
    for kind in ("weight", "gain"):
        logged = json.loads(_artifact(run, f"feature_importance_{kind}.json"))
        assert logged == pytest.approx(booster.get_score(importance_type=kind))
        assert set(logged) <= set(frame.columns) and logged
        assert _artifact(run, f"feature_importance_{kind}.png").startswith(b"\x89PNG\r\n")
    names = {a.path for a in runwell.RunwellClient().list_artifacts(run.info.run_id)}
    assert "feature_importance_cover.json" not in names


def test_classifier_fit_logs_once_as_xgboost_even_with_sklearn_autolog_on() -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    runwell.autolog()  # scikit-learn and XGBoost both on
    model = xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1)
    assert model.fit(X[:150], y[:150], eval_set=[(X[150:], y[150:])], verbose=False) is model

    run = only_run()
    tags = run.data.tag_dict
    assert tags["mlflow.autologging"] == "xgboost" and tags["estimator_name"] == "XGBClassifier"
    assert run.data.param_dict["n_estimators"] == "5" and run.data.param_dict["max_depth"] == "2"
    assert "num_boost_round" not in run.data.param_dict  # the inner train() is not logged
    assert [s for s, _ in _history(run, "validation_0-logloss")] == list(range(5))
    model_id = _model_id(run)
    loaded = runwell.pyfunc.load_model(f"models:/{model_id}")
    assert loaded.predict(X).tolist() == model.predict(X).tolist()  # class labels
    assert (
        Model.load(f"models:/{model_id}")
        .flavors["xgboost"]["model_class"]
        .endswith("XGBClassifier")
    )

    Pipeline([("scale", StandardScaler()), ("xgb", xgb.XGBRegressor(n_estimators=3))]).fit(X, y)
    outer = all_runs()[-1]
    assert len(all_runs()) == 2 and outer.data.tag_dict["mlflow.autologging"] == "sklearn"
    assert "xgb__n_estimators" in outer.data.param_dict


def test_training_inside_a_user_run_logs_into_it_and_exclusive_keeps_out(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    dtrain, _ = _matrices(regression)
    runwell.xgboost.autolog(log_models=False, extra_tags={"team": "risk"})
    with runwell.start_run() as mine:
        xgb.train(PARAMS, dtrain, 3, evals=[(dtrain, "train")], verbose_eval=False)
    run = only_run()
    assert run.info.run_id == mine.info.run_id and run.info.status == RunStatus.FINISHED
    assert len(_history(run, "train-rmse")) == 3 and run.data.tag_dict["team"] == "risk"
    assert "mlflow.autologging" not in run.data.tag_dict

    runwell.xgboost.autolog(exclusive=True, log_models=False)
    with runwell.start_run() as other:
        xgb.train(PARAMS, dtrain, 3, evals=[(dtrain, "train")], verbose_eval=False)
    runwell.autologging.flush()
    assert runwell.get_run(other.info.run_id).data.metric_dict == {}
    xgb.train(PARAMS, dtrain, 3, evals=[(dtrain, "train")], verbose_eval=False)
    assert len(all_runs()) == 3
    assert all_runs()[-1].data.tag_dict["mlflow.autologging"] == "xgboost"


def test_input_example_and_json_format_with_a_dataframe(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = regression
    frame = pd.DataFrame(X_train, columns=list("abcde"))
    runwell.xgboost.autolog(log_input_examples=True, model_format="json", synchronous=True)
    model = xgb.XGBRegressor(n_estimators=4, n_jobs=1).fit(frame, y_train)
    model_id = _model_id(only_run())  # synchronous: logged before fit returned
    mlmodel = Model.load(f"models:/{model_id}")
    assert mlmodel.flavors["xgboost"]["data"] == "model.json"
    example = mlmodel.load_input_example(download_model(f"models:/{model_id}"))
    assert list(example.columns) == list("abcde") and np.allclose(example, frame[:5])
    loaded = runwell.xgboost.load_model(f"models:/{model_id}")
    assert np.allclose(loaded.predict(frame), model.predict(frame))


def test_disable_restores_train_and_fit_and_logs_nothing(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    dtrain, _ = _matrices(regression)
    originals = (xgb.train, vars(xgb.sklearn)["train"], xgb.XGBClassifier.__dict__["fit"])
    runwell.xgboost.autolog()
    assert xgb.train is not originals[0] and vars(xgb.sklearn)["train"] is xgb.train
    runwell.xgboost.autolog(disable=True)
    assert (xgb.train, vars(xgb.sklearn)["train"], xgb.XGBClassifier.__dict__["fit"]) == originals
    xgb.train(PARAMS, dtrain, 2)
    xgb.XGBRegressor(n_estimators=2).fit(*regression[::2])
    assert all_runs() == []


def test_an_unsupported_version_warns_with_the_range_and_stays_off(
    regression: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    dtrain, _ = _matrices(regression)
    versions.set_supported_range("xgboost", "1.0", "1.7")
    original = xgb.train
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        runwell.xgboost.autolog()
    (message,) = [r.getMessage() for r in caplog.records]
    assert "xgboost 1.0 to 1.7" in message and xgb.__version__ in message
    assert xgb.train is original and not integrations.is_installed("xgboost")
    xgb.train(PARAMS, dtrain, 2)
    assert all_runs() == []


def test_bad_options_are_refused_with_the_option_named() -> None:
    with pytest.raises(InvalidArgument, match="'importance_types': expected a list of weight"):
        runwell.xgboost.autolog(importance_types="gain")
    with pytest.raises(InvalidArgument, match="'importance_types': 'split' is not one of"):
        runwell.xgboost.autolog(importance_types=["weight", "split"])
    with pytest.raises(InvalidArgument, match="'model_format': expected one of ubj, json"):
        runwell.xgboost.autolog(model_format="pickle")
    with pytest.raises(InvalidArgument, match="'log_models' for xgboost: expected True or False"):
        runwell.xgboost.autolog(log_models="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="'registered_model_name': expected None or"):
        runwell.xgboost.autolog(registered_model_name="")
    assert not integrations.is_installed("xgboost")


def test_a_failing_autolog_step_is_a_warning_and_training_completes(
    regression: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    dtrain, dval = _matrices(regression)
    runwell.xgboost.autolog(log_models=False)

    class DeleteRun(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if epoch == 1:
                active = runwell.active_run()
                assert active is not None
                runwell.RunwellClient().delete_run(active.info.run_id)
            return False

    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        with runwell.start_run():
            runwell.log_param("max_depth", "10")  # autolog's max_depth=3 is refused
            kept = xgb.train(PARAMS, dtrain, 4, evals=[(dval, "eval")], verbose_eval=False)
        runwell.autologging.flush()
        assert len(_history(only_run(), "eval-rmse")) == 4  # the metrics survived
        booster = xgb.train(
            PARAMS, dtrain, 6, evals=[(dval, "eval")], callbacks=[DeleteRun()], verbose_eval=False
        )
        runwell.autologging.flush()
    assert kept.num_boosted_rounds() == 4 and booster.num_boosted_rounds() == 6
    assert booster.predict(dval).shape == (80,)
    warnings = [r.getMessage() for r in caplog.records if r.name == "runwell.autologging"]
    assert any("while logging the params" in w for w in warnings), warnings
    assert any("while logging the metrics" in w for w in warnings), warnings


def test_the_users_training_error_propagates_and_the_run_fails(
    regression: tuple[Any, Any, Any, Any],
) -> None:
    dtrain, dval = _matrices(regression)

    class Boom(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if epoch == 2:
                raise ValueError("the user's callback failed")
            return False

    runwell.xgboost.autolog()
    with pytest.raises(ValueError, match="the user's callback failed"):
        xgb.train(PARAMS, dtrain, 5, evals=[(dval, "eval")], callbacks=[Boom()])
    run = only_run()
    assert run.info.status == RunStatus.FAILED
    assert [s for s, _ in _history(run, "eval-rmse")] == [0, 1]  # recorded before the error


def test_runwell_autolog_before_the_import_patches_both_boosting_libraries(
    tmp_path: Path,
) -> None:
    script = """
import json, sys
import numpy as np
import runwell
runwell.autolog(log_models=False)
loaded_early = "xgboost" in sys.modules or "lightgbm" in sys.modules
import lightgbm, xgboost
X = np.random.default_rng(0).normal(size=(60, 3)); y = X[:, 0]
xgboost.train({"nthread": 1}, xgboost.DMatrix(X, label=y), 2)
first = runwell.last_active_run()
lightgbm.LGBMRegressor(n_estimators=2, verbose=-1).fit(X, y)
runwell.autologging.flush()
second = runwell.last_active_run().data
print(json.dumps([loaded_early, first.data.tag_dict["mlflow.autologging"],
                  second.tag_dict["mlflow.autologging"], second.param_dict["n_estimators"]]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [False, "xgboost", "lightgbm", "2"]
