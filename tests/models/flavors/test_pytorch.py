"""The pytorch flavor: torch.save'd (or torch.export'ed) modules under data/, as MLflow does."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

import runwell
import runwell.pyfunc
import runwell.pytorch
from runwell.errors import InvalidArgument, NotFound
from runwell.models import infer_signature
from tests.models.flavors.mlflow_process import needs_mlflow, run_mlflow

NET_MODULE = "runwell_test_tiny_net"
# The custom class both tools unpickle: they import it from the model's code/ directory.
NET_SOURCE = '''
import torch


class TinyNet(torch.nn.Module):
    """3 features -> 2 outputs; dropout tells train mode from eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        self.dropout = torch.nn.Dropout(0.5)

    def forward(self, x, scale: float = 1.0):
        return self.dropout(self.linear(x)) * scale


class PairNet(torch.nn.Module):
    """Two named inputs, two named outputs."""

    def forward(self, a, b):
        return {"sum": a + b, "product": a * b}


class WordNet(torch.nn.Module):
    def forward(self, x):
        return "not a tensor"
'''
X = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
FRAME = pd.DataFrame(X, columns=["a", "b", "c"], index=[10, 11, 12, 13])


@pytest.fixture(scope="module")
def net_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``NET_MODULE``'s file, importable while the module's tests run."""
    folder = tmp_path_factory.mktemp("net_src")
    path = folder / f"{NET_MODULE}.py"
    path.write_text(NET_SOURCE)
    sys.path.insert(0, str(folder))
    yield path
    sys.path.remove(str(folder))
    sys.modules.pop(NET_MODULE, None)


@pytest.fixture
def nets(net_file: Path) -> ModuleType:
    torch.manual_seed(0)
    return importlib.import_module(NET_MODULE)


def _sequential() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def _eval_output(net: torch.nn.Module, x: np.ndarray, scale: float = 1.0) -> Any:
    modes = [(m, m.training) for m in net.modules()]
    net.eval()
    with torch.no_grad():
        out = net(torch.from_numpy(x)) if scale == 1.0 else net(torch.from_numpy(x), scale)
    for module, training in modes:
        module.training = training
    return out.numpy()


def test_sequential_round_trip_writes_mlflow_layout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    net = _sequential()
    runwell.pytorch.save_model(net, tmp_path / "m", input_example=FRAME[:2])
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert mlmodel["flavors"]["pytorch"] == {
        "code": None,
        "model_data": "data",
        "pytorch_version": torch.__version__,
    }
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pytorch" and pyfunc["data"] == "data"
    assert pyfunc["pickle_module_name"] == "mlflow.pytorch.pickle_module"
    assert pyfunc["config"] == {"device": None} and "code" not in pyfunc
    info = (tmp_path / "m" / "data" / "pickle_module_info.txt").read_text()
    assert info == "mlflow.pytorch.pickle_module"
    assert (tmp_path / "m" / "data" / "model.pth").is_file()
    assert '"name": "a"' in mlmodel["signature"]["inputs"]
    requirements = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    public = torch.__version__.split("+")[0]
    assert f"torch=={public}" in requirements  # installable from PyPI: no +cpu label
    assert any(line.startswith("cloudpickle==") for line in requirements)
    expected = _eval_output(net, X)
    loaded = runwell.pytorch.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, torch.nn.Sequential) and not loaded.training
    assert np.allclose(loaded(torch.from_numpy(X)).detach().numpy(), expected)
    with caplog.at_level(logging.INFO, logger="runwell"):
        model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert "Unpickling" in caplog.text and "model.pth" in caplog.text
    predicted = model.predict(FRAME)
    assert isinstance(predicted, pd.DataFrame) and list(predicted.index) == [10, 11, 12, 13]
    assert np.allclose(predicted.to_numpy(), expected)


def test_custom_class_loads_from_code_paths_with_forward_params(
    tmp_path: Path, nets: ModuleType, net_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = nets.TinyNet()  # train mode: dropout is live until predict switches to eval
    expected = _eval_output(net, X)
    signature = infer_signature(X, expected, params={"scale": 1.0})
    runwell.pytorch.save_model(net, tmp_path / "m", code_paths=[str(net_file)], signature=signature)
    assert (tmp_path / "m" / "code" / net_file.name).is_file()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(net_file.parent)])
    monkeypatch.delitem(sys.modules, NET_MODULE)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    predicted = model.predict(X)
    assert isinstance(predicted, np.ndarray) and np.allclose(predicted, expected)
    assert np.allclose(model.predict(X, params={"scale": 2.0}), expected * 2)
    raw = model.get_raw_model()
    assert type(raw).__name__ == "TinyNet" and not raw.training
    assert sys.modules[NET_MODULE].__file__ == str(tmp_path / "m" / "code" / net_file.name)


def test_signature_inferred_without_leaving_train_mode(tmp_path: Path, nets: ModuleType) -> None:
    net = nets.TinyNet()
    runwell.pytorch.save_model(net, tmp_path / "m", input_example=X[:2])
    assert net.training and net.dropout.training
    signature = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["signature"]
    tensor = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, %d]}}]'
    assert signature["inputs"] == tensor % 3 and signature["outputs"] == tensor % 2
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(X), _eval_output(net, X))


def test_dict_and_tuple_inputs_and_dict_outputs(tmp_path: Path, nets: ModuleType) -> None:
    runwell.pytorch.save_model(nets.PairNet(), tmp_path / "m", input_example=(X, X))
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert "signature" not in mlmodel and "saved_input_example_info" not in mlmodel
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    got = model.predict({"a": X, "b": X})
    assert set(got) == {"sum", "product"}
    assert np.allclose(got["sum"], X * 2) and np.allclose(got["product"], X * X)
    assert np.allclose(model.predict((X, X + 1))["product"], X * (X + 1))


def test_device_from_model_config_and_inference_param(tmp_path: Path) -> None:
    net = _sequential()
    signature = infer_signature(X, _eval_output(net, X), params={"device": "cpu"})
    runwell.pytorch.save_model(net, tmp_path / "m", signature=signature)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"), model_config={"device": "cpu"})
    assert np.allclose(model.predict(X, params={"device": "cpu"}), _eval_output(net, X))
    with pytest.raises(InvalidArgument, match="Invalid device 'gpu'"):
        model.predict(X, params={"device": "gpu"})
    with pytest.raises(InvalidArgument, match="Invalid device 'tpu'"):
        runwell.pyfunc.load_model(str(tmp_path / "m"), model_config={"device": "tpu"})
    if not torch.cuda.is_available():
        with pytest.raises(InvalidArgument, match="CUDA is not available"):
            model.predict(X, params={"device": "cuda"})


def test_model_failures_surface_as_invalid_argument(tmp_path: Path, nets: ModuleType) -> None:
    net = _sequential()
    runwell.pytorch.save_model(net, tmp_path / "seq")
    model = runwell.pyfunc.load_model(str(tmp_path / "seq"))
    # numpy's default float64 meets the float32 weights
    assert np.allclose(model.predict(X.astype(np.float64)), _eval_output(net, X))
    with pytest.raises(InvalidArgument, match=r"failed on the input \(ndarray of shape \(4, 2\)"):
        model.predict(X[:, :2])
    with pytest.raises(InvalidArgument, match="every column must be numeric"):
        model.predict(FRAME.assign(c="x"))
    runwell.pytorch.save_model(nets.WordNet(), tmp_path / "word")
    word = runwell.pyfunc.load_model(str(tmp_path / "word"))
    with pytest.raises(InvalidArgument, match="returned a str: expected a tensor"):
        word.predict(X)


def test_pt2_export_round_trip_keeps_the_batch_dimension_dynamic(
    tmp_path: Path, nets: ModuleType
) -> None:
    net = _sequential()
    notes = tmp_path / "notes.txt"
    notes.write_text("trained on X")
    runwell.pytorch.save_model(
        net, tmp_path / "m", serialization_format="pt2", input_example=X, extra_files=[str(notes)]
    )
    flavor = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["pytorch"]
    assert flavor["extra_files"] == [{"path": "extra_files/notes.txt"}]
    assert (tmp_path / "m" / "extra_files" / "notes.txt").read_text() == "trained on X"
    data = tmp_path / "m" / "data"
    assert sorted(p.name for p in data.iterdir()) == ["model.pt2"]
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert "cloudpickle" not in requirements
    bigger = np.concatenate([X, X, X])
    loaded = runwell.pytorch.load_model(str(tmp_path / "m"))
    assert np.allclose(loaded(torch.from_numpy(bigger)).detach().numpy(), _eval_output(net, bigger))
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(X[:1]), _eval_output(net, X[:1]))
    # several forward arguments: no pyfunc flavor (it feeds one tensor), as MLflow does
    runwell.pytorch.save_model(
        nets.PairNet(), tmp_path / "pair", serialization_format="pt2", input_example=(X, X)
    )
    flavors = yaml.safe_load((tmp_path / "pair" / "MLmodel").read_text())["flavors"]
    assert set(flavors) == {"pytorch"}
    pair = runwell.pytorch.load_model(str(tmp_path / "pair"))
    assert np.allclose(pair(torch.from_numpy(X), torch.from_numpy(X))["sum"].numpy(), X * 2)


@pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")
def test_torchscript_module_round_trip(tmp_path: Path) -> None:
    net = _sequential()
    runwell.pytorch.save_model(torch.jit.script(net), tmp_path / "m", input_example=X[:2])
    loaded = runwell.pytorch.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, torch.jit.ScriptModule)
    model = runwell.pyfunc.load_model(str(tmp_path / "m"))
    assert np.allclose(model.predict(X[::-1]), _eval_output(net, X[::-1].copy()))


def test_log_model_loads_from_run_model_and_registry_uris(tmp_path: Path) -> None:
    runwell.set_tracking_uri(f"sqlite:///{tmp_path}/runwell.db")
    net = _sequential()
    with runwell.start_run() as run:
        info = runwell.pytorch.log_model(
            net, name="net", input_example=FRAME[:2], registered_model_name="tiny"
        )
    assert info.model_uri == f"models:/{info.model_id}" and info.registered_model_version == 1
    expected = _eval_output(net, X)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/net", "models:/tiny/1"):
        loaded = runwell.pytorch.load_model(uri)
        assert np.allclose(loaded(torch.from_numpy(X)).detach().numpy(), expected)
        pyfunc = runwell.pyfunc.load_model(uri)
        assert np.allclose(pyfunc.predict(FRAME).to_numpy(), expected)
        assert pyfunc.metadata.model_id == info.model_id


class _Opaque:
    pass


def test_state_dict_round_trip(tmp_path: Path) -> None:
    net = _sequential()
    runwell.pytorch.save_state_dict(net.state_dict(), str(tmp_path / "sd"))
    assert (tmp_path / "sd" / "state_dict.pth").is_file()
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    fresh.load_state_dict(runwell.pytorch.load_state_dict(str(tmp_path / "sd")))
    assert np.allclose(_eval_output(fresh, X), _eval_output(net, X))
    with runwell.start_run() as run:
        runwell.pytorch.log_state_dict({"model": net.state_dict(), "epoch": 3}, "checkpoint")
    checkpoint = runwell.pytorch.load_state_dict(f"runs:/{run.info.run_id}/checkpoint")
    assert checkpoint["epoch"] == 3 and set(checkpoint["model"]) == set(net.state_dict())
    with pytest.raises(InvalidArgument, match=r"pass model\.state_dict\(\)"):
        runwell.pytorch.save_state_dict(net, str(tmp_path / "bad"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="expected a dict"):
        runwell.pytorch.save_state_dict([1], str(tmp_path / "bad"))  # type: ignore[arg-type]
    runwell.pytorch.save_state_dict({"opaque": _Opaque()}, str(tmp_path / "opaque"))
    with pytest.raises(InvalidArgument, match="Pass weights_only=False"):
        runwell.pytorch.load_state_dict(str(tmp_path / "opaque"))
    got = runwell.pytorch.load_state_dict(str(tmp_path / "opaque"), weights_only=False)
    assert isinstance(got["opaque"], _Opaque)
    with pytest.raises(InvalidArgument, match=r"expected a directory holding state_dict\.pth"):
        runwell.pytorch.load_state_dict(str(tmp_path))


def test_bad_arguments_and_broken_models_are_refused(
    tmp_path: Path, nets: ModuleType, net_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidArgument, match=r"expected a torch\.nn\.Module, got list"):
        runwell.pytorch.save_model([1, 2], tmp_path / "a")
    with pytest.raises(InvalidArgument, match="serialization_format 'onnx'"):
        runwell.pytorch.save_model(_sequential(), tmp_path / "b", serialization_format="onnx")
    with pytest.raises(InvalidArgument, match="input_example for serialization_format 'pt2'"):
        runwell.pytorch.save_model(_sequential(), tmp_path / "c", serialization_format="pt2")
    runwell.pyfunc.save_model(tmp_path / "d", python_model=runwell.pyfunc.PythonModel())
    with pytest.raises(InvalidArgument, match="no pytorch flavor"):
        runwell.pytorch.load_model(str(tmp_path / "d"))
    with pytest.raises(NotFound):
        runwell.pytorch.load_model(str(tmp_path / "nothing-here"))
    runwell.pytorch.save_model(_sequential(), tmp_path / "e")
    info = tmp_path / "e" / "data" / "pickle_module_info.txt"
    info.write_text("mlflow.somewhere_else")
    with pytest.raises(InvalidArgument, match=r"'mlflow\.somewhere_else', an MLflow module"):
        runwell.pytorch.load_model(str(tmp_path / "e"))
    (tmp_path / "e" / "data" / "model.pth").unlink()
    with pytest.raises(InvalidArgument, match=r"model file is missing: expected 'model\.pth'"):
        runwell.pyfunc.load_model(str(tmp_path / "e"))
    runwell.pytorch.save_model(nets.TinyNet(), tmp_path / "f")  # no code_paths
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(net_file.parent)])
    monkeypatch.delitem(sys.modules, NET_MODULE)
    with pytest.raises(InvalidArgument, match=f"needs module '{NET_MODULE}'.*code_paths"):
        runwell.pytorch.load_model(str(tmp_path / "f"))


@pytest.mark.slow
@needs_mlflow
def test_runwell_loads_models_mlflow_saved(
    tmp_path: Path, net_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading puts code/ on it
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / net_file.name).write_text(NET_SOURCE)
    got = run_mlflow(
        f"""
        import json, sys, numpy as np, torch, mlflow.pytorch
        sys.path.insert(0, "src")
        from {NET_MODULE} import TinyNet
        X = np.array({X.tolist()!r}, dtype=np.float32)
        torch.manual_seed(1)
        net = TinyNet()
        mlflow.pytorch.save_model(net, "tiny", code_paths=["src/{net_file.name}"],
                                  serialization_format="pickle", pip_requirements=[])
        seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
        mlflow.pytorch.save_model(seq, "seq", input_example=X, pip_requirements=[])
        with torch.no_grad():
            print(json.dumps({{
                "tiny": net.eval()(torch.from_numpy(X)).tolist(),
                "seq": seq(torch.from_numpy(X)).tolist(),
            }}))
        """,
        tmp_path,
    )
    tiny = runwell.pyfunc.load_model(str(tmp_path / "tiny"))
    assert np.allclose(tiny.predict(X), got["tiny"])
    assert np.allclose(tiny.predict(FRAME).to_numpy(), got["tiny"])
    assert (tmp_path / "seq" / "data" / "model.pt2").is_file()  # MLflow's default format
    seq = runwell.pytorch.load_model(str(tmp_path / "seq"))
    assert np.allclose(seq(torch.from_numpy(X)).detach().numpy(), got["seq"])
    assert np.allclose(runwell.pyfunc.load_model(str(tmp_path / "seq")).predict(X), got["seq"])
    assert "mlflow" not in sys.modules


@pytest.mark.slow
@needs_mlflow
@pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")
def test_mlflow_loads_models_runwell_saved(
    tmp_path: Path, nets: ModuleType, net_file: Path
) -> None:
    seq, tiny = _sequential(), nets.TinyNet()
    runwell.pytorch.save_model(seq, tmp_path / "seq", input_example=FRAME[:2])
    runwell.pytorch.save_model(tiny, tmp_path / "tiny", code_paths=[str(net_file)])
    runwell.pytorch.save_model(seq, tmp_path / "pt2", serialization_format="pt2", input_example=X)
    runwell.pytorch.save_model(torch.jit.script(seq), tmp_path / "script")
    got = run_mlflow(
        f"""
        import json, numpy as np, pandas as pd, torch, mlflow.pyfunc, mlflow.pytorch
        X = np.array({X.tolist()!r}, dtype=np.float32)
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        with torch.no_grad():
            print(json.dumps({{
                "seq": mlflow.pytorch.load_model("seq")(torch.from_numpy(X)).tolist(),
                "seq_pyfunc": mlflow.pyfunc.load_model("seq").predict(frame).to_numpy().tolist(),
                "tiny": mlflow.pytorch.load_model("tiny")(torch.from_numpy(X)).tolist(),
                "tiny_pyfunc": mlflow.pyfunc.load_model("tiny").predict(X).tolist(),
                "pt2_pyfunc": mlflow.pyfunc.load_model("pt2").predict(X).tolist(),
                "script_pyfunc": mlflow.pyfunc.load_model("script").predict(X).tolist(),
            }}))
        """,
        tmp_path,
        # mlflow refuses pickle-based models unless told to allow them.
        env={"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true"},
    )
    expected_seq, expected_tiny = _eval_output(seq, X), _eval_output(tiny, X)
    for key in ("seq", "seq_pyfunc", "pt2_pyfunc", "script_pyfunc"):
        assert np.allclose(got[key], expected_seq), key
    assert np.allclose(got["tiny"], expected_tiny)
    assert np.allclose(got["tiny_pyfunc"], expected_tiny)
