"""The onnx flavor: model.onnx (+ external data), pyfunc on onnxruntime; graphs built with
onnx.helper so the tests need no converter."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
import yaml
from onnx import TensorProto, helper, numpy_helper

import runwell
import runwell.onnx
import runwell.pyfunc
from runwell.errors import InvalidArgument
from runwell.models import Model, infer_signature
from tests.models.flavors.mlflow_process import needs_mlflow, run_mlflow

W = np.arange(600, dtype=np.float32).reshape(2, 300) / 600  # 2,400 bytes: stored externally
XS = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]], dtype=np.float32)


def _finish(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # what this onnxruntime reads
    onnx.checker.check_model(model)
    return model


def _matmul() -> onnx.ModelProto:
    """y = x @ W, one float input of shape (n, 2) and a weight big enough to go external."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 300])],
        initializer=[numpy_helper.from_array(W, "W")],
    )
    return _finish(graph)


def _adder() -> onnx.ModelProto:
    """s = a + b over two float vectors: a model with two inputs."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["s"])],
        "adder",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, [None]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [None]),
        ],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [None])],
    )
    return _finish(graph)


def test_round_trip_writes_mlflow_layout(tmp_path: Path) -> None:
    net = _matmul()
    runwell.onnx.save_model(net, tmp_path / "m", input_example=XS[:2])
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert mlmodel["flavors"]["onnx"] == {
        "code": None,
        "data": "model.onnx",
        "onnx_session_options": None,
        "onnx_version": onnx.__version__,
        "providers": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    }
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.onnx" and pyfunc["data"] == "model.onnx"
    assert len(list((tmp_path / "m").iterdir())) > 7  # W went to an external data file
    assert net.graph.initializer[0].raw_data  # the caller's model is left whole
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert f"onnx=={onnx.__version__}" in requirements and "onnxruntime==" in requirements
    assert mlmodel["signature"]["inputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'
    )
    loaded = runwell.onnx.load_model(str(tmp_path / "m"))
    assert np.array_equal(numpy_helper.to_array(loaded.graph.initializer[0]), W)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(XS)["y"], XS @ W)


def test_pyfunc_maps_frames_and_dicts_to_inputs(tmp_path: Path) -> None:
    runwell.onnx.save_model(_adder(), tmp_path / "m", save_as_external_data=False)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [10.0, 20.0]})  # float64, cast to float32
    assert model.predict(frame)["s"].tolist() == [11.0, 22.0]
    feeds = {"a": np.ones(2, dtype=np.float32), "b": np.ones(2, dtype=np.float32)}
    assert model.predict(feeds)["s"].tolist() == [2.0, 2.0]
    with pytest.raises(InvalidArgument, match=r"one input, this one has 2 \(\['a', 'b'\]\)"):
        model.predict(np.ones(2, dtype=np.float32))
    with pytest.raises(InvalidArgument, match=r"missing the model's inputs \['b'\]"):
        model.predict(frame[["a"]])


def test_pyfunc_enforces_the_signature(tmp_path: Path) -> None:
    signature = infer_signature(XS, {"y": XS @ W})
    runwell.onnx.save_model(_matmul(), tmp_path / "m", signature=signature)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(XS)["y"], XS @ W)
    with pytest.raises(InvalidArgument, match="shape"):
        model.predict(np.ones((2, 3), dtype=np.float32))


def test_session_options_and_providers_are_recorded_and_used(tmp_path: Path) -> None:
    options = {"intra_op_num_threads": 1, "execution_mode": "sequential"}
    runwell.onnx.save_model(
        _adder(),
        tmp_path / "m",
        onnx_execution_providers=["CPUExecutionProvider"],
        onnx_session_options=options,
    )
    flavor = Model.load(tmp_path / "m").flavors["onnx"]
    assert flavor["providers"] == ["CPUExecutionProvider"]
    assert flavor["onnx_session_options"] == options
    session = runwell.pyfunc.load_model(str(tmp_path / "m")).get_raw_model()
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert session.get_session_options().intra_op_num_threads == 1


def test_log_model_loads_from_model_and_run_uris() -> None:
    with runwell.start_run() as run:
        info = runwell.onnx.log_model(_matmul(), name="net", input_example=XS[:2])
    assert info.model_uri == f"models:/{info.model_id}"
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/net"):
        assert runwell.onnx.load_model(uri).graph.name == "matmul"
        pyfunc = runwell.pyfunc.load_model(uri)
        assert np.allclose(pyfunc.predict(XS)["y"], XS @ W)
        assert pyfunc.metadata.model_id == info.model_id


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"expected an onnx\.ModelProto, got bytes"):
        runwell.onnx.save_model(_adder().SerializeToString(), tmp_path / "a")
    with pytest.raises(InvalidArgument, match=r"onnx_session_options \['threads'\]"):
        runwell.onnx.save_model(_adder(), tmp_path / "b", onnx_session_options={"threads": 2})
    with pytest.raises(InvalidArgument, match="execution_mode 'fast'"):
        runwell.onnx.save_model(
            _adder(), tmp_path / "c", onnx_session_options={"execution_mode": "fast"}
        )
    with pytest.raises(InvalidArgument, match="onnx_execution_providers"):
        runwell.onnx.save_model(_adder(), tmp_path / "d", onnx_execution_providers="CPU")
    runwell.pyfunc.save_model(tmp_path / "e", python_model=runwell.pyfunc.PythonModel())
    with pytest.raises(InvalidArgument, match="no onnx flavor"):
        runwell.onnx.load_model(str(tmp_path / "e"))
    runwell.onnx.save_model(_adder(), tmp_path / "f")
    (tmp_path / "f" / "model.onnx").unlink()
    with pytest.raises(InvalidArgument, match=r"model\.onnx' is missing"):
        runwell.onnx.load_model(str(tmp_path / "f"))


_BUILD = """
import json, numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
W = np.arange(600, dtype=np.float32).reshape(2, 300) / 600
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["y"])], "matmul",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 300])],
    initializer=[numpy_helper.from_array(W, "W")],
)
net = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
net.ir_version = 8
"""


@pytest.mark.slow
@needs_mlflow
def test_runwell_loads_models_mlflow_saved(tmp_path: Path) -> None:
    got = run_mlflow(
        _BUILD
        + f"""
import mlflow.onnx, mlflow.pyfunc
XS = np.array({XS.tolist()!r}, dtype=np.float32)
mlflow.onnx.save_model(net, "net", input_example=XS[:2], pip_requirements=[])
print(json.dumps({{"y": mlflow.pyfunc.load_model("net").predict(XS)["y"].tolist()}}))
""",
        tmp_path,
    )
    model = runwell.pyfunc.load_model(str(tmp_path / "net"))
    assert np.allclose(model.predict(XS)["y"], got["y"])
    assert np.allclose(got["y"], XS @ W)
    assert runwell.onnx.load_model(str(tmp_path / "net")).graph.name == "matmul"
    assert "mlflow" not in sys.modules


@pytest.mark.slow
@needs_mlflow
def test_mlflow_loads_models_runwell_saved(tmp_path: Path) -> None:
    runwell.onnx.save_model(_matmul(), tmp_path / "net", input_example=XS[:2])
    runwell.onnx.save_model(_adder(), tmp_path / "adder")
    got = run_mlflow(
        f"""
        import json, numpy as np, pandas as pd, mlflow.onnx, mlflow.pyfunc
        XS = np.array({XS.tolist()!r}, dtype=np.float32)
        frame = pd.DataFrame({{"a": [1.0, 2.0], "b": [10.0, 20.0]}})
        print(json.dumps({{
            "y": mlflow.pyfunc.load_model("net").predict(XS)["y"].tolist(),
            "graph": mlflow.onnx.load_model("net").graph.name,
            "s": mlflow.pyfunc.load_model("adder").predict(frame)["s"].tolist(),
        }}))
        """,
        tmp_path,
    )
    assert np.allclose(got["y"], XS @ W)
    assert got["graph"] == "matmul" and got["s"] == [11.0, 22.0]
