"""Custom PythonModels: save/load, artifacts, code paths, schema and params enforcement."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import runwell.pyfunc
from runwell.errors import AlreadyExists, InvalidArgument
from runwell.models import ColSpec, DataType, Model, ModelSignature, ParamSchema, ParamSpec, Schema


class Doubler(runwell.pyfunc.PythonModel):
    """Returns the input with every column doubled and ``params`` echoed in column 'k'."""

    def predict(
        self, context: runwell.pyfunc.PythonModelContext, model_input: Any, params: Any = None
    ) -> Any:
        out = model_input * 2
        if isinstance(out, pd.DataFrame) and params:
            out["k"] = params.get("k")
        return out


class ReadsArtifact(runwell.pyfunc.PythonModel):
    def load_context(self, context: runwell.pyfunc.PythonModelContext) -> None:
        self.offset = float(Path(context.artifacts["offset"]).read_text())
        self.scale = context.model_config.get("scale", 1)

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        from helper_module import shift  # type: ignore[import-not-found]  # from code_paths

        return shift(model_input["a"] * self.scale, self.offset).tolist()


def _signature(params: bool = False) -> ModelSignature:
    inputs = Schema([ColSpec(DataType.double, "a"), ColSpec(DataType.long, "b")])
    param_schema = ParamSchema([ParamSpec("k", DataType.long, 5)]) if params else None
    return ModelSignature(inputs, None, param_schema)


def test_save_writes_the_mlflow_layout(tmp_path: Path) -> None:
    path = tmp_path / "m"
    example = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    runwell.pyfunc.save_model(path, python_model=Doubler(), input_example=(example, {"k": 7}))
    names = sorted(p.name for p in path.iterdir())
    assert names == [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "python_env.yaml",
        "python_model.pkl",
        "requirements.txt",
        "serving_input_example.json",
    ]
    mlmodel = yaml.safe_load((path / "MLmodel").read_text())
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pyfunc.model"
    assert pyfunc["python_model"] == "python_model.pkl"
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert "cloudpickle_version" in pyfunc and pyfunc["code"] is None
    assert mlmodel["saved_input_example_info"] == {
        "artifact_path": "input_example.json",
        "pandas_orient": "split",
        "params": "true",
        "serving_input_path": "serving_input_example.json",
        "type": "dataframe",
    }
    assert json.loads((path / "input_example.json").read_text()) == {
        "inputs": {"columns": ["a", "b"], "data": [[1.0, 3], [2.0, 4]]},
        "params": {"k": 7},
    }
    assert json.loads((path / "serving_input_example.json").read_text()) == {
        "dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 3], [2.0, 4]]},
        "params": {"k": 7},
    }
    signature = Model.load(path).signature
    assert signature is not None and signature.outputs is not None
    assert [s.name for s in signature.outputs.inputs] == ["a", "b", "k"]
    assert mlmodel["model_id"] is None and "artifact_path" not in mlmodel
    requirements = (path / "requirements.txt").read_text().splitlines()
    assert requirements[0].startswith("runwell==")
    assert any(line.startswith("cloudpickle==") for line in requirements)
    python_env = yaml.safe_load((path / "python_env.yaml").read_text())
    assert python_env["dependencies"] == ["-r requirements.txt"]
    loaded = Model.load(path)
    assert loaded.load_input_example(path).equals(example)
    assert loaded.load_input_example_params(path) == {"k": 7}


def test_load_predicts_with_artifacts_code_paths_and_config(tmp_path: Path) -> None:
    (tmp_path / "offset.txt").write_text("10")
    (tmp_path / "helper_module.py").write_text("def shift(x, by):\n    return x + by\n")
    runwell.pyfunc.save_model(
        tmp_path / "m",
        python_model=ReadsArtifact(),
        artifacts={"offset": str(tmp_path / "offset.txt")},
        code_paths=[str(tmp_path / "helper_module.py")],
        model_config={"scale": 2},
    )
    conf = Model.load(tmp_path / "m").flavors["python_function"]
    assert conf["artifacts"] == {
        "offset": {"path": "artifacts/offset.txt", "uri": str(tmp_path / "offset.txt")}
    }
    assert conf["code"] == "code"
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert model.predict(pd.DataFrame({"a": [1.0, 2.0]})) == [12.0, 14.0]
    model = runwell.pyfunc.load_model(str(tmp_path / "m"), model_config={"scale": 3})
    assert model.predict(pd.DataFrame({"a": [1.0]})) == [13.0]
    assert isinstance(model.unwrap_python_model(), ReadsArtifact)


def test_loading_a_pickle_logs_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runwell.pyfunc.save_model(tmp_path / "m", python_model=Doubler())
    with caplog.at_level(logging.INFO, logger="runwell"):
        runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert any("python_model.pkl" in r.getMessage() for r in caplog.records)


def test_save_refuses_an_existing_directory_and_a_missing_model(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x").write_text("x")
    with pytest.raises(AlreadyExists, match="not empty"):
        runwell.pyfunc.save_model(tmp_path / "m", python_model=Doubler())
    with pytest.raises(InvalidArgument, match="python_model"):
        runwell.pyfunc.save_model(tmp_path / "n", python_model=None)


def test_safe_conversions_happen(tmp_path: Path) -> None:
    runwell.pyfunc.save_model(tmp_path / "m", python_model=Doubler(), signature=_signature())
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    frame = pd.DataFrame(
        {"a": np.array([1, 2], dtype=np.int32), "b": np.array([3, 4], dtype=np.int8)}
    )
    out = model.predict(frame)
    assert out["a"].dtype == np.float64 and out["b"].dtype == np.int64
    assert out["a"].tolist() == [2.0, 4.0]
    out = model.predict(pd.DataFrame({"a": np.array([1.5], dtype=np.float32), "b": [1]}))
    assert out["a"].dtype == np.float64
    records = model.predict([{"a": 1.0, "b": 2}])
    assert records.to_dict("list") == {"a": [2.0], "b": [4]}


def test_unsafe_conversion_names_column_and_type(tmp_path: Path) -> None:
    runwell.pyfunc.save_model(tmp_path / "m", python_model=Doubler(), signature=_signature())
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    with pytest.raises(InvalidArgument, match=r"column 'b'.*float64 to long"):
        model.predict(pd.DataFrame({"a": [1.0], "b": [1.5]}))
    with pytest.raises(InvalidArgument, match=r"column 'a'.*double"):
        model.predict(pd.DataFrame({"a": ["x"], "b": [1]}))


def test_missing_columns_are_named_and_extra_ones_dropped(tmp_path: Path) -> None:
    runwell.pyfunc.save_model(tmp_path / "m", python_model=Doubler(), signature=_signature())
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    with pytest.raises(InvalidArgument, match=r"missing inputs \['b'\].*extra inputs: \['c'\]"):
        model.predict(pd.DataFrame({"a": [1.0], "c": [1]}))
    out = model.predict(pd.DataFrame({"c": ["z"], "b": [1], "a": [1.0]}))
    assert list(out.columns) == ["a", "b"]


def test_params_are_validated_and_defaulted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runwell.pyfunc.save_model(
        tmp_path / "m", python_model=Doubler(), signature=_signature(params=True)
    )
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    frame = pd.DataFrame({"a": [1.0], "b": [1]})
    assert model.predict(frame)["k"].tolist() == [5]
    assert model.predict(frame, params={"k": 9})["k"].tolist() == [9]
    with caplog.at_level(logging.WARNING, logger="runwell"):
        assert model.predict(frame, params={"nope": 1})["k"].tolist() == [5]
    assert "nope" in caplog.text
    with pytest.raises(InvalidArgument, match=r"param 'k'.*long"):
        model.predict(frame, params={"k": "nine"})


def test_tensor_schema_checks_dtype_and_shape(tmp_path: Path) -> None:
    from runwell.models import TensorSpec

    signature = ModelSignature(Schema([TensorSpec(np.dtype("float64"), (-1, 2))]))
    runwell.pyfunc.save_model(tmp_path / "m", python_model=Doubler(), signature=signature)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert model.predict(np.array([[1, 2]], dtype=np.int32)).tolist() == [[2.0, 4.0]]
    with pytest.raises(InvalidArgument, match=r"shape"):
        model.predict(np.zeros((1, 3)))
    with pytest.raises(InvalidArgument, match=r"float64"):
        model.predict(np.array([["a", "b"]]))
