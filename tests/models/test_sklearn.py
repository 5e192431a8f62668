"""The sklearn flavor: skops by default (trusted types checked), pickle formats on request."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import runwell.pyfunc
import runwell.sklearn
from runwell.errors import InvalidArgument
from runwell.models import Model

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1, 0, 1, 0]})
Y = [0, 1, 0, 1]


def _fitted() -> LogisticRegression:
    return LogisticRegression().fit(X, Y)


class Custom(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A class skops does not trust by default."""

    def fit(self, x: Any, y: Any) -> Custom:
        self.classes_ = np.unique(y)
        return self

    def predict(self, x: Any) -> Any:
        return np.zeros(len(x), dtype=np.int64)


def test_skops_is_the_default_format(tmp_path: Path) -> None:
    model = _fitted()
    runwell.sklearn.save_model(model, tmp_path / "m", input_example=X[:2])
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert mlmodel["flavors"]["sklearn"]["pickled_model"] == "model.skops"
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.sklearn"
    assert pyfunc["model_path"] == "model.skops" and pyfunc["predict_fn"] == "predict"
    assert mlmodel["signature"]["outputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    )
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert "scikit-learn==" in requirements and "skops==" in requirements
    loaded = runwell.sklearn.load_model(str(tmp_path / "m"))
    assert loaded.predict(X).tolist() == model.predict(X).tolist()
    pyfunc_model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert pyfunc_model.predict(X).tolist() == model.predict(X).tolist()


@pytest.mark.parametrize("fmt", ["cloudpickle", "pickle"])
def test_pickle_formats_on_request_log_the_unpickled_file(
    tmp_path: Path, fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    model = _fitted()
    runwell.sklearn.save_model(model, tmp_path / "m", serialization_format=fmt)
    assert Model.load(tmp_path / "m").flavors["sklearn"]["serialization_format"] == fmt
    with caplog.at_level(logging.INFO, logger="runwell"):
        loaded = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert "model.pkl" in caplog.text
    assert loaded.predict(X).tolist() == model.predict(X).tolist()


def test_untrusted_estimator_falls_back_to_cloudpickle(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="runwell"):
        runwell.sklearn.save_model(Custom().fit(X, Y), tmp_path / "m")
    assert "cloudpickle instead of skops" in caplog.text and "Custom" in caplog.text
    flavor = Model.load(tmp_path / "m").flavors["sklearn"]
    assert flavor["serialization_format"] == "cloudpickle"


def test_loading_skops_refuses_types_not_trusted(tmp_path: Path) -> None:
    trusted = [f"{Custom.__module__}.Custom"]
    runwell.sklearn.save_model(Custom().fit(X, Y), tmp_path / "m", skops_trusted_types=trusted)
    assert runwell.sklearn.load_model(str(tmp_path / "m")).predict(X).tolist() == [0, 0, 0, 0]
    mlmodel_path = tmp_path / "m" / "MLmodel"
    mlmodel = yaml.safe_load(mlmodel_path.read_text())
    mlmodel["flavors"]["sklearn"]["skops_trusted_types"] = None
    mlmodel_path.write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(InvalidArgument, match=r"does not trust.*Custom"):
        runwell.sklearn.load_model(str(tmp_path / "m"))


def test_predict_proba_through_pyfunc(tmp_path: Path) -> None:
    model = _fitted()
    runwell.sklearn.save_model(model, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    loaded = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(loaded.predict(X), model.predict_proba(X))


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="serialization_format 'json'"):
        runwell.sklearn.save_model(_fitted(), tmp_path / "a", serialization_format="json")
    with pytest.raises(InvalidArgument, match="pyfunc_predict_fn"):
        runwell.sklearn.save_model(_fitted(), tmp_path / "b", pyfunc_predict_fn="transform")
    runwell.pyfunc.save_model(tmp_path / "c", python_model=runwell.pyfunc.PythonModel())
    with pytest.raises(InvalidArgument, match="no sklearn flavor"):
        runwell.sklearn.load_model(str(tmp_path / "c"))
