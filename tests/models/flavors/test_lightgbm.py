"""The lightgbm flavor: boosters in LightGBM's text format, scikit-learn models with skops."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import yaml

import runwell
import runwell.lightgbm
import runwell.pyfunc
from runwell.errors import InvalidArgument
from runwell.models import Model, infer_signature
from tests.models.flavors.mlflow_process import needs_mlflow, run_mlflow

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
Y = [0, 1, 0, 1, 1, 0]
PARAMS = {"objective": "binary", "verbose": -1, "min_data_in_leaf": 1, "num_threads": 1}


def _booster() -> lgb.Booster:
    return lgb.train(PARAMS, lgb.Dataset(X, label=Y), num_boost_round=3)


def _classifier() -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=3, verbose=-1, min_child_samples=1, n_jobs=1).fit(X, Y)


def test_booster_round_trip_writes_mlflow_layout(tmp_path: Path) -> None:
    booster = _booster()
    runwell.lightgbm.save_model(booster, tmp_path / "m", input_example=X[:2])
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    flavor = mlmodel["flavors"]["lightgbm"]
    assert flavor == {
        "code": None,
        "data": "model.lgb",
        "lgb_version": lgb.__version__,
        "model_class": "lightgbm.basic.Booster",
        "serialization_format": "skops",
        "skops_trusted_types": [
            "collections.OrderedDict",
            "lightgbm.basic.Booster",
            "lightgbm.sklearn.LGBMClassifier",
            "lightgbm.sklearn.LGBMRegressor",
        ],
    }
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.lightgbm" and pyfunc["data"] == "model.lgb"
    assert (tmp_path / "m" / "model.lgb").read_text().startswith("tree")
    assert mlmodel["signature"]["outputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
    )
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert f"lightgbm=={lgb.__version__}" in requirements and "skops" not in requirements
    loaded = runwell.lightgbm.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, lgb.Booster)
    assert np.allclose(loaded.predict(X), booster.predict(X))
    pyfunc = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(pyfunc.predict(X), booster.predict(X))


def test_sklearn_api_model_uses_skops(tmp_path: Path) -> None:
    clf = _classifier()
    runwell.lightgbm.save_model(clf, tmp_path / "m")
    flavor = Model.load(tmp_path / "m").flavors["lightgbm"]
    assert flavor["model_class"] == "lightgbm.sklearn.LGBMClassifier"
    assert flavor["data"] == "model.skops" and flavor["serialization_format"] == "skops"
    assert "skops==" in (tmp_path / "m" / "requirements.txt").read_text()
    loaded = runwell.lightgbm.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, lgb.LGBMClassifier)
    assert np.allclose(loaded.predict_proba(X), clf.predict_proba(X))
    pyfunc = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert pyfunc.predict(X).tolist() == np.asarray(clf.predict(X)).tolist()
    assert isinstance(pyfunc.get_raw_model(), lgb.LGBMClassifier)


def test_cloudpickle_on_request_logs_the_unpickled_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clf = _classifier()
    runwell.lightgbm.save_model(clf, tmp_path / "m", serialization_format="cloudpickle")
    flavor = Model.load(tmp_path / "m").flavors["lightgbm"]
    assert flavor["data"] == "model.pkl" and flavor["serialization_format"] == "cloudpickle"
    assert flavor["skops_trusted_types"] is None
    with caplog.at_level(logging.INFO, logger="runwell"):
        loaded = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert "model.pkl" in caplog.text
    assert loaded.predict(X).tolist() == np.asarray(clf.predict(X)).tolist()


def test_pyfunc_enforces_the_signature_and_passes_params(tmp_path: Path) -> None:
    booster = _booster()
    probabilities = booster.predict(X)
    signature = infer_signature(X, probabilities, params={"raw_score": False})
    runwell.lightgbm.save_model(booster, tmp_path / "m", signature=signature)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(X.astype({"b": "int64"})), probabilities)
    raw = model.predict(X, params={"raw_score": True})
    assert np.allclose(1 / (1 + np.exp(-raw)), probabilities)
    with pytest.raises(InvalidArgument, match="b"):
        model.predict(X[["a"]])


def test_log_model_loads_from_model_and_run_uris() -> None:
    clf = _classifier()
    with runwell.start_run() as run:
        info = runwell.lightgbm.log_model(clf, name="lgb", input_example=X[:2])
    assert info.model_uri == f"models:/{info.model_id}"
    expected = np.asarray(clf.predict(X)).tolist()
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/lgb"):
        assert runwell.lightgbm.load_model(uri).predict(X).tolist() == expected
        pyfunc = runwell.pyfunc.load_model(uri)
        assert pyfunc.predict(X).tolist() == expected
        assert pyfunc.metadata.model_id == info.model_id


def test_bad_arguments_and_tampered_models_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"expected a lightgbm\.Booster"):
        runwell.lightgbm.save_model({"a": 1}, tmp_path / "a")
    with pytest.raises(InvalidArgument, match="serialization_format 'json'"):
        runwell.lightgbm.save_model(_classifier(), tmp_path / "b", serialization_format="json")
    runwell.pyfunc.save_model(tmp_path / "c", python_model=runwell.pyfunc.PythonModel())
    with pytest.raises(InvalidArgument, match="no lightgbm flavor"):
        runwell.lightgbm.load_model(str(tmp_path / "c"))
    runwell.lightgbm.save_model(_booster(), tmp_path / "d")
    (tmp_path / "d" / "model.lgb").unlink()
    with pytest.raises(InvalidArgument, match=r"model\.lgb' is missing"):
        runwell.lightgbm.load_model(str(tmp_path / "d"))


@pytest.mark.slow
@needs_mlflow
def test_runwell_loads_models_mlflow_saved(tmp_path: Path) -> None:
    got = run_mlflow(
        f"""
        import json, pandas as pd, lightgbm as lgb, mlflow.lightgbm
        X = pd.DataFrame({X.to_dict("list")!r})
        booster = lgb.train({PARAMS!r}, lgb.Dataset(X, label={Y!r}), num_boost_round=3)
        mlflow.lightgbm.save_model(booster, "booster", input_example=X[:2], pip_requirements=[])
        clf = lgb.LGBMClassifier(n_estimators=3, verbose=-1, min_child_samples=1, n_jobs=1)
        clf.fit(X, {Y!r})
        mlflow.lightgbm.save_model(clf, "clf", pip_requirements=[])
        print(json.dumps({{
            "booster": booster.predict(X).tolist(),
            "clf": clf.predict_proba(X).tolist(),
        }}))
        """,
        tmp_path,
    )
    booster = runwell.pyfunc.load_model(str(tmp_path / "booster"))
    assert np.allclose(booster.predict(X), got["booster"])
    clf = runwell.lightgbm.load_model(str(tmp_path / "clf"))
    assert np.allclose(clf.predict_proba(X), got["clf"])
    assert "mlflow" not in sys.modules


@pytest.mark.slow
@needs_mlflow
def test_mlflow_loads_models_runwell_saved(tmp_path: Path) -> None:
    booster, clf = _booster(), _classifier()
    runwell.lightgbm.save_model(booster, tmp_path / "booster", input_example=X[:2])
    runwell.lightgbm.save_model(clf, tmp_path / "clf")
    got = run_mlflow(
        f"""
        import json, pandas as pd, mlflow.pyfunc, mlflow.lightgbm
        X = pd.DataFrame({X.to_dict("list")!r})
        print(json.dumps({{
            "booster": mlflow.pyfunc.load_model("booster").predict(X).tolist(),
            "clf": mlflow.lightgbm.load_model("clf").predict_proba(X).tolist(),
            "clf_pyfunc": mlflow.pyfunc.load_model("clf").predict(X).tolist(),
        }}))
        """,
        tmp_path,
    )
    assert np.allclose(got["booster"], booster.predict(X))
    assert np.allclose(got["clf"], clf.predict_proba(X))
    assert got["clf_pyfunc"] == np.asarray(clf.predict(X)).tolist()
