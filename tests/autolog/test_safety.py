"""Autolog never breaks training: its own errors are warnings, the user's errors propagate,
unsupported versions stay unpatched, and disable undoes everything."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import sklearn.metrics
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression

import runwell
from runwell.autologging import integrations, versions
from runwell.entities import RunStatus
from runwell.errors import InvalidArgument
from tests.autolog.conftest import all_runs, only_run


class DeepParamsFail(LogisticRegression):  # type: ignore[misc]
    """A classifier whose deep params cannot be listed: autolog's first step fails."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        if deep:
            raise RuntimeError("deep params are broken")
        return dict(super().get_params(deep=False))


def test_an_error_inside_autolog_is_one_warning_and_fit_still_returns_the_model(
    classification: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog()
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        first = DeepParamsFail().fit(X_train, y_train)
        second = DeepParamsFail().fit(X_train, y_train)
        runwell.autologging.flush()
    assert first.predict(X_train).shape == (200,) and hasattr(second, "coef_")
    warnings = [r.getMessage() for r in caplog.records if r.name == "runwell.autologging"]
    assert len(warnings) == 1
    assert "deep params are broken" in warnings[0] and "RuntimeError" in warnings[0]
    assert [r.info.status for r in all_runs()] == [RunStatus.FINISHED] * 2


def test_silent_suppresses_autolog_warnings(
    classification: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    X_train, _, y_train, _ = classification
    runwell.sklearn.autolog(silent=True)
    with caplog.at_level(logging.DEBUG, logger="runwell.autologging"):
        DeepParamsFail().fit(X_train, y_train)
        runwell.autologging.flush()
    assert [r for r in caplog.records if r.name == "runwell.autologging"] == []


def test_the_users_exception_propagates_unchanged_and_the_run_fails(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, _, y_train, _ = classification
    bad = X_train.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN") as plain:
        LogisticRegression().fit(bad, y_train)
    runwell.sklearn.autolog()
    with pytest.raises(ValueError, match="NaN") as logged:
        LogisticRegression().fit(bad, y_train)
    assert str(logged.value) == str(plain.value)
    assert logged.traceback[-1].name == plain.traceback[-1].name
    assert only_run().info.status == RunStatus.FAILED


def test_disable_restores_every_original_and_logs_nothing(
    classification: tuple[Any, Any, Any, Any],
) -> None:
    X_train, X_test, y_train, y_test = classification
    originals = {
        "fit": LogisticRegression.__dict__["fit"],
        "predict_proba": LogisticRegression.__dict__["predict_proba"],
        "accuracy_score": sklearn.metrics.accuracy_score,
    }
    runwell.sklearn.autolog()
    assert LogisticRegression.__dict__["fit"] is not originals["fit"]
    assert "__init_subclass__" in BaseEstimator.__dict__
    runwell.autolog(disable=True)

    assert LogisticRegression.__dict__["fit"] is originals["fit"]
    assert LogisticRegression.__dict__["predict_proba"] is originals["predict_proba"]
    assert sklearn.metrics.accuracy_score is originals["accuracy_score"]
    assert "__init_subclass__" not in BaseEstimator.__dict__
    model = LogisticRegression().fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    assert all_runs() == []


def test_an_unsupported_version_warns_with_the_range_and_stays_off(
    classification: tuple[Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    X_train, _, y_train, _ = classification
    versions.set_supported_range("sklearn", "0.20", "0.24")
    original = LogisticRegression.__dict__["fit"]
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        runwell.sklearn.autolog()
    (message,) = [r.getMessage() for r in caplog.records]
    assert "sklearn 0.20 to 0.24" in message and sklearn.__version__ in message
    assert LogisticRegression.__dict__["fit"] is original
    assert not integrations.is_installed("sklearn")
    LinearRegression().fit(X_train, y_train)
    assert all_runs() == []


def test_version_ranges() -> None:
    allowed = versions.SupportedRange("1.4", "1.9")
    assert allowed.contains("1.4.0") and allowed.contains("1.9.7") and allowed.contains("1.6rc1")
    assert not allowed.contains("1.3.2") and not allowed.contains("1.10.0")
    assert not allowed.contains("2.0")
    assert versions.release("v2.1.0.post1") == (2, 1, 0)
    with pytest.raises(InvalidArgument, match=r"minimum 2\.0 is above maximum 1\.9"):
        versions.SupportedRange("2.0", "1.9")
    with pytest.raises(InvalidArgument, match="Invalid version 'latest'"):
        versions.release("latest")
    with pytest.raises(InvalidArgument, match="No supported version range is declared for 'nope'"):
        versions.supported_range("nope")


def test_bad_options_are_refused_with_the_option_named() -> None:
    with pytest.raises(InvalidArgument, match="'log_models' for sklearn: expected True or False"):
        runwell.sklearn.autolog(log_models="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="'max_tuning_runs': expected None or a whole"):
        runwell.sklearn.autolog(max_tuning_runs=-1)
    with pytest.raises(InvalidArgument, match="'serialization_format': expected one of skops"):
        runwell.sklearn.autolog(serialization_format="joblib")
    with pytest.raises(InvalidArgument, match="'extra_tags' for sklearn: expected a mapping"):
        runwell.autolog(extra_tags=["a"])  # type: ignore[arg-type]
    assert not integrations.is_installed("sklearn")


def test_runwell_autolog_stays_callable_after_the_package_is_imported() -> None:
    import runwell.autologging.sklearn

    assert callable(runwell.autolog) and callable(runwell.sklearn.autolog)
    runwell.autolog()
    assert integrations.is_installed("sklearn")


def test_autolog_before_importing_sklearn_patches_it_on_import(tmp_path: Any) -> None:
    script = """
import json, sys
import runwell
runwell.autolog(log_models=False)
loaded_early = "sklearn" in sys.modules
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor
X, y = make_regression(n_samples=60, n_features=3, random_state=0)
RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
runwell.autologging.flush()
run = runwell.last_active_run()
print(json.dumps([loaded_early, run.data.tag_dict["estimator_name"],
                  "training_r2_score" in run.data.metric_dict]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [False, "RandomForestRegressor", True]
