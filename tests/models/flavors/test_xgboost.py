"""The xgboost flavor: boosters and scikit-learn-API models in XGBoost's own file format."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
import yaml

import runwell
import runwell.pyfunc
import runwell.xgboost
from runwell.errors import InvalidArgument
from runwell.models import Model, infer_signature
from tests.models.flavors.mlflow_process import needs_mlflow, run_mlflow

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
Y = [0, 1, 0, 1, 1, 0]


def _booster() -> xgb.Booster:
    return xgb.train(
        {"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(X, label=Y), num_boost_round=3
    )


def _classifier() -> xgb.XGBClassifier:
    return xgb.XGBClassifier(n_estimators=3, n_jobs=1).fit(X, Y)


def test_booster_round_trip_writes_mlflow_layout(tmp_path: Path) -> None:
    booster = _booster()
    runwell.xgboost.save_model(booster, tmp_path / "m", input_example=X[:2])
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    flavor = mlmodel["flavors"]["xgboost"]
    assert flavor == {
        "code": None,
        "data": "model.ubj",
        "model_class": "xgboost.core.Booster",
        "model_format": "ubj",
        "xgb_version": xgb.__version__,
    }
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.xgboost" and pyfunc["data"] == "model.ubj"
    assert (tmp_path / "m" / "model.ubj").is_file()
    assert mlmodel["signature"]["outputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]'
    )
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert f"=={xgb.__version__}" in requirements and "numpy==" in requirements
    expected = booster.predict(xgb.DMatrix(X))
    loaded = runwell.xgboost.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, xgb.Booster)
    assert np.allclose(loaded.predict(xgb.DMatrix(X)), expected)
    assert np.allclose(runwell.pyfunc.load_model(str(tmp_path / "m")).predict(X), expected)


def test_sklearn_api_model_in_json_format(tmp_path: Path) -> None:
    clf = _classifier()
    runwell.xgboost.save_model(clf, tmp_path / "m", model_format="json")
    flavor = Model.load(tmp_path / "m").flavors["xgboost"]
    assert flavor["model_class"] == "xgboost.sklearn.XGBClassifier"
    assert flavor["data"] == "model.json" and (tmp_path / "m" / "model.json").is_file()
    assert "scikit-learn==" in (tmp_path / "m" / "requirements.txt").read_text()
    loaded = runwell.xgboost.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, xgb.XGBClassifier)
    assert np.allclose(loaded.predict_proba(X), clf.predict_proba(X))
    pyfunc = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert pyfunc.predict(X).tolist() == clf.predict(X).tolist()
    assert isinstance(pyfunc.get_raw_model(), xgb.XGBClassifier)


def test_pyfunc_enforces_the_signature_and_passes_params(tmp_path: Path) -> None:
    booster = _booster()
    probabilities = booster.predict(xgb.DMatrix(X))
    signature = infer_signature(X, probabilities, params={"output_margin": False})
    runwell.xgboost.save_model(booster, tmp_path / "m", signature=signature)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    as_ints = X.astype({"b": "int64"})  # int64 -> double is a safe conversion
    assert np.allclose(model.predict(as_ints), probabilities)
    margins = model.predict(X, params={"output_margin": True})
    assert np.allclose(1 / (1 + np.exp(-margins)), probabilities)
    assert not np.allclose(margins, probabilities)
    with pytest.raises(InvalidArgument, match="b"):
        model.predict(X[["a"]])


def test_log_model_loads_from_model_and_run_uris() -> None:
    clf = _classifier()
    with runwell.start_run() as run:
        info = runwell.xgboost.log_model(clf, name="xgb", input_example=X[:2])
    assert info.model_uri == f"models:/{info.model_id}"
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/xgb"):
        assert runwell.xgboost.load_model(uri).predict(X).tolist() == clf.predict(X).tolist()
        pyfunc = runwell.pyfunc.load_model(uri)
        assert pyfunc.predict(X).tolist() == clf.predict(X).tolist()
        assert pyfunc.metadata.model_id == info.model_id


def test_bad_arguments_and_tampered_models_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"expected an xgboost\.Booster"):
        runwell.xgboost.save_model([1, 2], tmp_path / "a")
    with pytest.raises(InvalidArgument, match="model_format 'pkl'"):
        runwell.xgboost.save_model(_booster(), tmp_path / "b", model_format="pkl")
    runwell.pyfunc.save_model(tmp_path / "c", python_model=runwell.pyfunc.PythonModel())
    with pytest.raises(InvalidArgument, match="no xgboost flavor"):
        runwell.xgboost.load_model(str(tmp_path / "c"))
    runwell.xgboost.save_model(_booster(), tmp_path / "d")
    mlmodel_path = tmp_path / "d" / "MLmodel"
    mlmodel = yaml.safe_load(mlmodel_path.read_text())
    mlmodel["flavors"]["xgboost"]["model_class"] = "subprocess.Popen"
    mlmodel_path.write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(InvalidArgument, match=r"'subprocess\.Popen' is not a class of the xgboost"):
        runwell.pyfunc.load_model(str(tmp_path / "d"))
    (tmp_path / "d" / "model.ubj").unlink()
    mlmodel["flavors"]["xgboost"]["model_class"] = "xgboost.core.Booster"
    mlmodel_path.write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(InvalidArgument, match=r"model\.ubj' is missing"):
        runwell.xgboost.load_model(str(tmp_path / "d"))


@pytest.mark.slow
@needs_mlflow
def test_runwell_loads_models_mlflow_saved(tmp_path: Path) -> None:
    got = run_mlflow(
        f"""
        import json, pandas as pd, xgboost as xgb, mlflow.xgboost
        X = pd.DataFrame({X.to_dict("list")!r})
        booster = xgb.train({{"objective": "binary:logistic", "nthread": 1}},
                            xgb.DMatrix(X, label={Y!r}), num_boost_round=3)
        mlflow.xgboost.save_model(booster, "booster", input_example=X[:2], pip_requirements=[])
        clf = xgb.XGBClassifier(n_estimators=3, n_jobs=1).fit(X, {Y!r})
        mlflow.xgboost.save_model(clf, "clf", model_format="json", pip_requirements=[])
        print(json.dumps({{
            "booster": booster.predict(xgb.DMatrix(X)).tolist(),
            "clf": clf.predict_proba(X).tolist(),
        }}))
        """,
        tmp_path,
    )
    booster = runwell.pyfunc.load_model(str(tmp_path / "booster"))
    assert np.allclose(booster.predict(X), got["booster"])
    clf = runwell.xgboost.load_model(str(tmp_path / "clf"))
    assert np.allclose(clf.predict_proba(X), got["clf"])
    assert "mlflow" not in sys.modules


@pytest.mark.slow
@needs_mlflow
def test_mlflow_loads_models_runwell_saved(tmp_path: Path) -> None:
    booster, clf = _booster(), _classifier()
    runwell.xgboost.save_model(booster, tmp_path / "booster", input_example=X[:2])
    runwell.xgboost.save_model(clf, tmp_path / "clf", model_format="json")
    got = run_mlflow(
        f"""
        import json, pandas as pd, mlflow.pyfunc, mlflow.xgboost
        X = pd.DataFrame({X.to_dict("list")!r})
        print(json.dumps({{
            "booster": mlflow.pyfunc.load_model("booster").predict(X).tolist(),
            "clf": mlflow.xgboost.load_model("clf").predict_proba(X).tolist(),
            "clf_pyfunc": mlflow.pyfunc.load_model("clf").predict(X).tolist(),
        }}))
        """,
        tmp_path,
    )
    assert np.allclose(got["booster"], booster.predict(xgb.DMatrix(X)))
    assert np.allclose(got["clf"], clf.predict_proba(X))
    assert got["clf_pyfunc"] == clf.predict(X).tolist()
