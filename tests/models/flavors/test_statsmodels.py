"""The statsmodels flavor: fitted results pickled to model.statsmodels, as MLflow does."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels  # type: ignore[import-untyped]
import statsmodels.api as sm  # type: ignore[import-untyped]
import yaml
from statsmodels.tsa.ar_model import AutoReg  # type: ignore[import-untyped]

import runwell
import runwell.pyfunc
import runwell.statsmodels
from runwell.errors import InvalidArgument
from runwell.models import infer_signature
from tests.models.flavors.mlflow_process import needs_mlflow, run_mlflow

X = pd.DataFrame({"const": [1.0] * 6, "a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
Y = [0.1, 1.2, 1.9, 3.2, 3.9, 5.1]
SERIES = np.sin(np.arange(30) / 3.0)
RANGE = pd.DataFrame({"start": [30], "end": [32]})


def _ols() -> sm.regression.linear_model.RegressionResultsWrapper:
    return sm.OLS(Y, X).fit()


def test_ols_round_trip_writes_mlflow_layout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ols = _ols()
    runwell.statsmodels.save_model(ols, tmp_path / "m", input_example=X[:2])
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert mlmodel["flavors"]["statsmodels"] == {
        "code": None,
        "data": "model.statsmodels",
        "statsmodels_version": statsmodels.__version__,
    }
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.statsmodels"
    assert pyfunc["data"] == "model.statsmodels"
    assert mlmodel["signature"]["outputs"] == '[{"type": "double", "required": true}]'
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert f"statsmodels=={statsmodels.__version__}" in requirements
    loaded = runwell.statsmodels.load_model(str(tmp_path / "m"))
    assert np.allclose(loaded.params, ols.params)
    with caplog.at_level(logging.INFO, logger="runwell"):
        model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert "Unpickling" in caplog.text and "model.statsmodels" in caplog.text
    assert np.allclose(model.predict(X), ols.predict(X))


def test_remove_data_makes_a_smaller_file_that_still_predicts(tmp_path: Path) -> None:
    rows = pd.DataFrame({"const": 1.0, "a": np.arange(200.0)})
    big = sm.OLS(rows["a"] * 2 + 1, rows).fit()
    runwell.statsmodels.save_model(big, tmp_path / "full")
    runwell.statsmodels.save_model(big, tmp_path / "small", remove_data=True)
    full = (tmp_path / "full" / "model.statsmodels").stat().st_size
    small = (tmp_path / "small" / "model.statsmodels").stat().st_size
    assert small < full
    loaded = runwell.pyfunc.load_model(str(tmp_path / "small"))
    assert np.allclose(loaded.predict(X), big.predict(X))


def test_time_series_model_predicts_a_start_end_range(tmp_path: Path) -> None:
    results = AutoReg(SERIES, lags=2).fit()
    runwell.statsmodels.save_model(results, tmp_path / "m")
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(RANGE), results.predict(start=30, end=32))
    with pytest.raises(InvalidArgument, match=r"one row with columns 'start' and 'end'"):
        model.predict(pd.DataFrame({"start": [30, 31], "end": [32, 33]}))


def test_pyfunc_enforces_the_signature(tmp_path: Path) -> None:
    ols = _ols()
    signature = infer_signature(X, ols.predict(X))
    runwell.statsmodels.save_model(ols, tmp_path / "m", signature=signature)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    as_ints = X.astype({"a": "int64"})
    assert np.allclose(model.predict(as_ints), ols.predict(X))
    with pytest.raises(InvalidArgument, match="a"):
        model.predict(X[["const"]])


def test_log_model_loads_from_model_and_run_uris() -> None:
    ols = _ols()
    with runwell.start_run() as run:
        info = runwell.statsmodels.log_model(ols, name="ols", input_example=X[:2])
    assert info.model_uri == f"models:/{info.model_id}"
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/ols"):
        assert np.allclose(runwell.statsmodels.load_model(uri).params, ols.params)
        pyfunc = runwell.pyfunc.load_model(uri)
        assert np.allclose(pyfunc.predict(X), ols.predict(X))
        assert pyfunc.metadata.model_id == info.model_id


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="expected fitted statsmodels results"):
        runwell.statsmodels.save_model(sm.OLS(Y, X), tmp_path / "a")
    runwell.pyfunc.save_model(tmp_path / "c", python_model=runwell.pyfunc.PythonModel())
    with pytest.raises(InvalidArgument, match="no statsmodels flavor"):
        runwell.statsmodels.load_model(str(tmp_path / "c"))
    runwell.statsmodels.save_model(_ols(), tmp_path / "d")
    (tmp_path / "d" / "model.statsmodels").unlink()
    with pytest.raises(InvalidArgument, match=r"model\.statsmodels' is missing"):
        runwell.statsmodels.load_model(str(tmp_path / "d"))


@pytest.mark.slow
@needs_mlflow
def test_runwell_loads_models_mlflow_saved(tmp_path: Path) -> None:
    got = run_mlflow(
        f"""
        import json, numpy as np, pandas as pd, statsmodels.api as sm, mlflow.statsmodels
        from statsmodels.tsa.ar_model import AutoReg
        X = pd.DataFrame({X.to_dict("list")!r})
        ols = sm.OLS({Y!r}, X).fit()
        mlflow.statsmodels.save_model(ols, "ols", input_example=X[:2], pip_requirements=[])
        ar = AutoReg(np.sin(np.arange(30) / 3.0), lags=2).fit()
        mlflow.statsmodels.save_model(ar, "ar", pip_requirements=[])
        print(json.dumps({{
            "ols": ols.predict(X).tolist(),
            "ar": ar.predict(start=30, end=32).tolist(),
        }}))
        """,
        tmp_path,
    )
    ols = runwell.pyfunc.load_model(str(tmp_path / "ols"))
    assert np.allclose(ols.predict(X), got["ols"])
    ar = runwell.pyfunc.load_model(str(tmp_path / "ar"))
    assert np.allclose(ar.predict(RANGE), got["ar"])
    assert "mlflow" not in sys.modules


@pytest.mark.slow
@needs_mlflow
def test_mlflow_loads_models_runwell_saved(tmp_path: Path) -> None:
    ols, ar = _ols(), AutoReg(SERIES, lags=2).fit()
    runwell.statsmodels.save_model(ols, tmp_path / "ols", input_example=X[:2])
    runwell.statsmodels.save_model(ar, tmp_path / "ar")
    got = run_mlflow(
        f"""
        import json, pandas as pd, mlflow.pyfunc, mlflow.statsmodels
        X = pd.DataFrame({X.to_dict("list")!r})
        print(json.dumps({{
            "ols": mlflow.pyfunc.load_model("ols").predict(X).tolist(),
            "ols_params": mlflow.statsmodels.load_model("ols").params.tolist(),
            "ar": mlflow.pyfunc.load_model("ar").predict(
                pd.DataFrame({{"start": [30], "end": [32]}})
            ).tolist(),
        }}))
        """,
        tmp_path,
        # mlflow refuses pickle-based flavors unless told to allow them.
        env={"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true"},
    )
    assert np.allclose(got["ols"], ols.predict(X))
    assert np.allclose(got["ols_params"], ols.params)
    assert np.allclose(got["ar"], ar.predict(start=30, end=32))
