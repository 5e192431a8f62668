"""Both directions with the real mlflow (its own venv, run as a subprocess).

runwell-written sklearn (skops and cloudpickle) and PythonModel directories load in
``mlflow.pyfunc.load_model`` and predict the same; MLflow-written ones load in runwell.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import runwell.pyfunc
import runwell.sklearn

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"
SRC = Path(__file__).resolve().parents[2] / "src"
X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1, 0, 1, 0]})
Y = [0, 1, 0, 1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3.x)"),
]


def _mlflow(script: str, cwd: Path) -> Any:
    """Run ``script`` with mlflow's interpreter; the JSON its last stdout line prints."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/m.db"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", textwrap.dedent(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _python_model() -> runwell.pyfunc.PythonModel:
    # Defined in a function, so cloudpickle stores the class by value (a fresh interpreter
    # need not import this test module).
    class Scaled(runwell.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            k = (params or {}).get("k", 1)
            return (model_input["a"] * k + model_input["b"]).tolist()

    return Scaled()


def test_mlflow_loads_models_runwell_saved(tmp_path: Path) -> None:
    clf = LogisticRegression().fit(X, Y)
    runwell.sklearn.save_model(clf, tmp_path / "skops", input_example=X[:2])
    runwell.sklearn.save_model(clf, tmp_path / "pkl", serialization_format="cloudpickle")
    runwell.pyfunc.save_model(
        tmp_path / "custom", python_model=_python_model(), input_example=(X[:2], {"k": 3})
    )
    got = _mlflow(
        f"""
        import json, pandas as pd, mlflow.pyfunc
        X = pd.DataFrame({X.to_dict("list")!r})
        out = {{}}
        for name in ("skops", "pkl"):
            out[name] = mlflow.pyfunc.load_model(name).predict(X).tolist()
        custom = mlflow.pyfunc.load_model("custom")
        out["custom"] = list(custom.predict(X))
        out["custom_k"] = list(custom.predict(X, params={{"k": 10}}))
        print(json.dumps(out))
        """,
        tmp_path,
    )
    expected = clf.predict(X).tolist()
    assert got["skops"] == expected and got["pkl"] == expected
    custom = runwell.pyfunc.load_model(str(tmp_path / "custom"))
    assert got["custom"] == custom.predict(X) == [1.0, 3.0, 7.0, 9.0]
    assert got["custom_k"] == custom.predict(X, params={"k": 10})


def test_runwell_loads_models_mlflow_saved(tmp_path: Path) -> None:
    got = _mlflow(
        f"""
        import json, pandas as pd, mlflow.pyfunc, mlflow.sklearn
        from sklearn.linear_model import LogisticRegression
        X = pd.DataFrame({X.to_dict("list")!r})
        clf = LogisticRegression().fit(X, {Y!r})
        mlflow.sklearn.save_model(clf, "skops", input_example=X[:2])
        mlflow.sklearn.save_model(clf, "pkl", serialization_format="cloudpickle")

        class Scaled(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                k = (params or {{}}).get("k", 1)
                return (model_input["a"] * k + model_input["b"]).tolist()

        mlflow.pyfunc.save_model("custom", python_model=Scaled(), input_example=(X[:2], {{"k": 3}}))
        custom = mlflow.pyfunc.load_model("custom")
        print(json.dumps({{
            "sklearn": clf.predict(X).tolist(),
            "custom": list(custom.predict(X)),
            "custom_k": list(custom.predict(X, params={{"k": 10}})),
        }}))
        """,
        tmp_path,
    )
    for name in ("skops", "pkl"):
        loaded = runwell.pyfunc.load_model(str(tmp_path / name))
        assert loaded.predict(X).tolist() == got["sklearn"]
        assert (
            runwell.sklearn.load_model(str(tmp_path / name)).predict(X).tolist() == (got["sklearn"])
        )
    custom = runwell.pyfunc.load_model(str(tmp_path / "custom"))
    assert custom.predict(X) == got["custom"]
    assert custom.predict(X, params={"k": 10}) == got["custom_k"]
    assert "mlflow" not in sys.modules
