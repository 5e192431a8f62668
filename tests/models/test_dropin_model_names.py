"""MLflow's model-side names: ``models.set_model`` (models from code), serving-input helpers
and ``pyfunc.get_model_dependencies``."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runwell
import runwell.models
import runwell.pyfunc
from runwell.errors import InvalidArgument, NotFound
from runwell.models import ColSpec, DataType, ModelSignature, ParamSchema, ParamSpec, Schema
from runwell.scoring.errors import ScoringError

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"
needs_mlflow = pytest.mark.skipif(
    not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3.x)"
)

# A models-from-code file that runs under either tool, as a script shared by both would.
MODEL_CODE = """
try:
    import mlflow
except ImportError:
    import runwell as mlflow

class AddOne(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input + (params or {}).get("n", 1)

mlflow.models.set_model(AddOne())
"""


def _mlflow(script: str, cwd: Path) -> Any:
    """Run ``script`` with mlflow's interpreter; the JSON its last stdout line prints."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{cwd}/m.db"
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _n_param() -> ModelSignature:
    return ModelSignature(
        Schema([ColSpec(DataType.long, "x")]), None, ParamSchema([ParamSpec("n", DataType.long, 1)])
    )


def _frame() -> Any:
    return pd.DataFrame({"a": [1.0, 2.5], "b": [3, 4], "s": ["x", "y"]})


# --- set_model and models from code -------------------------------------------------------


def test_a_model_saved_from_code_runs_its_file_again_on_load(tmp_path: Path) -> None:
    code = tmp_path / "add_one.py"
    code.write_text(MODEL_CODE)
    runwell.pyfunc.save_model(tmp_path / "m", python_model=str(code), signature=_n_param())
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert "add_one.py" in names and "python_model.pkl" not in names
    conf = runwell.models.Model.load(str(tmp_path / "m")).flavors["python_function"]
    assert conf["model_code_path"] == "add_one.py" and "python_model" not in conf
    code.write_text("raise SystemExit('the original file must not be used')\n")
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    out = model.predict(pd.DataFrame({"x": [1, 2]}), params={"n": 10})
    assert out["x"].tolist() == [11, 12]


def test_a_function_given_to_set_model_predicts(tmp_path: Path) -> None:
    code = tmp_path / "fn.py"
    code.write_text(
        "import runwell\n"
        "def predict(model_input):\n"
        "    return [len(str(v)) for v in model_input['t']]\n"
        "runwell.models.set_model(predict)\n"
    )
    info = None
    with runwell.start_run():
        info = runwell.pyfunc.log_model("fn", python_model=code)
    model = runwell.pyfunc.load_model(info.model_uri)
    assert model.predict(pd.DataFrame({"t": ["ab", "abcd"]})) == [2, 4]


def test_set_model_rejects_what_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="not str"):
        runwell.models.set_model("model.py")
    with pytest.raises(InvalidArgument, match="not int"):
        runwell.models.set_model(3)
    silent = tmp_path / "silent.py"
    silent.write_text("x = 1\n")
    with pytest.raises(InvalidArgument, match=r"did not call runwell\.models\.set_model"):
        runwell.pyfunc.save_model(tmp_path / "m", python_model=str(silent))
    with pytest.raises(InvalidArgument, match=r"Invalid python_model .*\.py file"):
        runwell.pyfunc.save_model(tmp_path / "m2", python_model=str(tmp_path / "nope.py"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidArgument, match="Invalid python_model"):
        runwell.pyfunc.save_model(tmp_path / "m3", python_model=str(tmp_path / "notes.txt"))


@needs_mlflow
def test_mlflow_models_from_code_load_in_runwell(tmp_path: Path) -> None:
    (tmp_path / "add_one.py").write_text(MODEL_CODE)
    _mlflow(
        """
        import json, mlflow
        mlflow.pyfunc.save_model("m", python_model="add_one.py")
        print(json.dumps("ok"))
        """,
        tmp_path,
    )
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert model.predict(pd.DataFrame({"x": [1]}))["x"].tolist() == [2]


@needs_mlflow
def test_runwell_models_from_code_load_in_mlflow(tmp_path: Path) -> None:
    (tmp_path / "add_one.py").write_text(MODEL_CODE)
    runwell.pyfunc.save_model(tmp_path / "m", python_model=str(tmp_path / "add_one.py"))
    predicted = _mlflow(
        """
        import json, mlflow, pandas as pd
        model = mlflow.pyfunc.load_model("m")
        print(json.dumps(model.predict(pd.DataFrame({"x": [1, 2]}))["x"].tolist()))
        """,
        tmp_path,
    )
    assert predicted == [2, 3]


# --- convert_input_example_to_serving_input -----------------------------------------------

EXAMPLES = {
    "frame": "pd.DataFrame({'a': [1.0, 2.5], 'b': [3, 4], 's': ['x', 'y']})",
    "ndarray": "np.array([[1.0, 2.0], [3.0, 4.0]])",
    "dict_of_arrays": "{'x': np.array([1, 2]), 'y': np.array([[0.5]])}",
    "list": "['a', 'b']",
    "dict": "{'question': 'why?', 'k': 3}",
    "with_params": "(pd.DataFrame({'a': [1]}), {'temperature': 0.5})",
    "scalar_string": "'hello'",
    "none": "None",
}


@needs_mlflow
def test_serving_input_matches_mlflow_for_each_kind_of_example(tmp_path: Path) -> None:
    theirs = _mlflow(
        f"""
        import json
        import numpy as np, pandas as pd
        from mlflow.models import convert_input_example_to_serving_input as convert
        examples = {{{", ".join(f"{k!r}: {v}" for k, v in EXAMPLES.items())}}}
        print(json.dumps({{k: convert(v) for k, v in examples.items()}}))
        """,
        tmp_path,
    )
    ours = {
        name: runwell.models.convert_input_example_to_serving_input(
            eval(source, {"np": np, "pd": pd})  # the same literal the mlflow script evaluates
        )
        for name, source in EXAMPLES.items()
    }
    for name in EXAMPLES:
        mine, mlflows = ours[name], theirs[name]
        assert (mine is None) == (mlflows is None), name
        if mine is not None:
            assert json.loads(mine) == json.loads(mlflows), name


def test_serving_input_is_what_save_model_writes(tmp_path: Path) -> None:
    class Echo(runwell.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return model_input

    runwell.pyfunc.save_model(tmp_path / "m", python_model=Echo(), input_example=_frame())
    written = (tmp_path / "m" / "serving_input_example.json").read_text()
    assert runwell.models.convert_input_example_to_serving_input(_frame()) == written
    with pytest.raises(InvalidArgument, match="input_example"):
        runwell.models.convert_input_example_to_serving_input({"f": object()})


# --- validate_serving_input ---------------------------------------------------------------


class Scale(runwell.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return (model_input["a"] * (params or {}).get("k", 2)).tolist()


def _scale_model(tmp_path: Path) -> str:
    params = ParamSchema([ParamSpec("k", DataType.long, 2)])
    signature = ModelSignature(Schema([ColSpec(DataType.double, "a")]), None, params)
    runwell.pyfunc.save_model(tmp_path / "scale", python_model=Scale(), signature=signature)
    return str(tmp_path / "scale")


def test_validate_serving_input_scores_the_body_as_the_server_would(tmp_path: Path) -> None:
    uri = _scale_model(tmp_path)
    body = runwell.models.convert_input_example_to_serving_input(pd.DataFrame({"a": [1, 2]}))
    assert body is not None
    assert runwell.models.validate_serving_input(uri, body) == [2.0, 4.0]
    records = {"dataframe_records": [{"a": 1.5}], "params": {"k": 10}}
    assert runwell.models.validate_serving_input(uri, records) == [15.0]


def test_validate_serving_input_refuses_what_the_server_refuses(tmp_path: Path) -> None:
    uri = _scale_model(tmp_path)
    with pytest.raises(ScoringError, match="dataframe_split"):
        runwell.models.validate_serving_input(uri, {"rows": [[1]]})
    with pytest.raises(ScoringError, match="valid JSON"):
        runwell.models.validate_serving_input(uri, "{not json")
    with pytest.raises(runwell.MlflowException, match=r"missing inputs \['a'\]"):
        runwell.models.validate_serving_input(uri, {"dataframe_records": [{"b": 1}]})
    with pytest.raises(InvalidArgument, match="serving_input must be"):
        runwell.models.validate_serving_input(uri, 42)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        runwell.models.validate_serving_input(str(tmp_path / "missing"), {"inputs": [1]})


# --- get_model_dependencies ---------------------------------------------------------------


def test_get_model_dependencies_gives_the_model_files(tmp_path: Path) -> None:
    with runwell.start_run():
        info = runwell.pyfunc.log_model(
            "scale", python_model=Scale(), pip_requirements=["pandas", "numpy==2.*"]
        )
    pip = runwell.pyfunc.get_model_dependencies(info.model_uri)
    assert Path(pip).name == "requirements.txt"
    assert Path(pip).read_text().split() == ["pandas", "numpy==2.*"]
    conda = runwell.pyfunc.get_model_dependencies(info.model_uri, format="conda")
    assert Path(conda).name == "conda.yaml" and "numpy==2.*" in Path(conda).read_text()


def test_get_model_dependencies_falls_back_to_the_pip_section_of_conda_yaml(
    tmp_path: Path,
) -> None:
    runwell.pyfunc.save_model(tmp_path / "m", python_model=Scale(), pip_requirements=["six"])
    (tmp_path / "m" / "requirements.txt").unlink()
    pip = runwell.pyfunc.get_model_dependencies(str(tmp_path / "m"))
    assert Path(pip).read_text() == "six\n"
    (tmp_path / "m" / "conda.yaml").write_text("dependencies:\n- python=3.11\n")
    with pytest.raises(NotFound, match="No pip section"):
        runwell.pyfunc.get_model_dependencies(str(tmp_path / "m"))
    (tmp_path / "m" / "conda.yaml").unlink()
    with pytest.raises(NotFound, match=r"no conda\.yaml"):
        runwell.pyfunc.get_model_dependencies(str(tmp_path / "m"), format="conda")
    with pytest.raises(InvalidArgument, match="Invalid format 'uv'"):
        runwell.pyfunc.get_model_dependencies(str(tmp_path / "m"), format="uv")


@needs_mlflow
def test_get_model_dependencies_reads_mlflow_models(tmp_path: Path) -> None:
    _mlflow(
        """
        import json, mlflow
        class M(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return model_input
        mlflow.pyfunc.save_model("m", python_model=M(), pip_requirements=["six==1.16.0"])
        print(json.dumps("ok"))
        """,
        tmp_path,
    )
    ours = Path(runwell.pyfunc.get_model_dependencies(str(tmp_path / "m")))
    assert "six==1.16.0" in ours.read_text().split()
