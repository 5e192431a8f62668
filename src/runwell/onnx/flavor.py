"""The ``onnx`` flavor: save, log and load ONNX models; pyfunc runs them on onnxruntime.

MLmodel gets two flavors, as MLflow writes them: ``onnx`` (``onnx_version``, ``data``,
``providers``, ``onnx_session_options``, ``code``) and ``python_function`` with loader
``mlflow.onnx`` (read by this module in runwell, see runwell.models.flavor) and ``data``.

pyfunc ``predict`` takes a dict of input name to array, an ndarray (models with one input) or a
DataFrame (its values for one input, one column per input otherwise); float64 is cast to
float32 where the model wants float. It answers a DataFrame of outputs for a DataFrame and a
dict of output name to array otherwise. The declared providers that this onnxruntime lacks
are dropped (logged), falling back to the CPU.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment
from runwell.models.flavor import (
    add_pyfunc_flavor,
    copy_code_paths,
    finish_model,
    flavor_conf,
    prepare_directory,
)
from runwell.models.input_example import save_input_example
from runwell.models.logged import log_with
from runwell.models.model import Model, ModelInfo
from runwell.models.signature import ModelSignature, signature_from_example
from runwell.models.uri import download_model

_logger = logging.getLogger(__name__)

FLAVOR_NAME = "onnx"
LOADER_MODULE = "runwell.onnx"
DATA_FILE = "model.onnx"
DEFAULT_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")
SESSION_OPTIONS = (
    "inter_op_num_threads",
    "intra_op_num_threads",
    "execution_mode",
    "graph_optimization_level",
    "extra_session_config",
)
_EXECUTION_MODES = ("SEQUENTIAL", "PARALLEL")


def _check_session_options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise InvalidArgument("Invalid onnx_session_options: expected a dict of option to value.")
    unknown = sorted(set(options) - set(SESSION_OPTIONS))
    if unknown:
        raise InvalidArgument(
            f"Invalid onnx_session_options {unknown}: expected keys among "
            f"{', '.join(SESSION_OPTIONS)}."
        )
    mode = options.get("execution_mode")
    if mode is not None and str(mode).upper() not in _EXECUTION_MODES:
        raise InvalidArgument(
            f"Invalid onnx_session_options execution_mode {mode!r}: expected "
            f"{' or '.join(_EXECUTION_MODES)}."
        )
    return dict(options)


def save_model(
    onnx_model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    onnx_execution_providers: Sequence[str] | None = None,
    onnx_session_options: Mapping[str, Any] | None = None,
    save_as_external_data: bool = True,
    metadata: Mapping[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save an ONNX model as a model directory MLflow and runwell both load.

    Args:
        onnx_model: an ``onnx.ModelProto``.
        path: a new (or empty) directory.
        code_paths: files/directories copied to ``code/``.
        signature: inferred from ``input_example`` (and a prediction on it) when omitted.
        input_example: an example input (ndarray, dict of ndarrays, DataFrame).
        pip_requirements / extra_pip_requirements: see runwell.models.environment.
        onnx_execution_providers: onnxruntime providers in order of preference
            (default CUDA, then CPU).
        onnx_session_options: onnxruntime session options (``intra_op_num_threads``,
            ``inter_op_num_threads``, ``execution_mode``, ``graph_optimization_level``,
            ``extra_session_config``).
        save_as_external_data: store large tensors in files beside ``model.onnx``.
        metadata: free-form metadata recorded in MLmodel.
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
    """
    import onnx

    if not isinstance(onnx_model, onnx.ModelProto):
        raise InvalidArgument(
            f"Invalid onnx_model: expected an onnx.ModelProto, got {type(onnx_model).__name__}."
        )
    providers = list(onnx_execution_providers or DEFAULT_PROVIDERS)
    if isinstance(onnx_execution_providers, str) or not all(isinstance(p, str) for p in providers):
        raise InvalidArgument(
            "Invalid onnx_execution_providers: expected a list of provider names such as "
            "'CPUExecutionProvider'."
        )
    options = _check_session_options(onnx_session_options)
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    model = mlflow_model or Model()
    target = prepare_directory(path)
    code = copy_code_paths(code_paths, target)
    if signature is None and input_example is not None:
        signature = signature_from_example(
            _Session(onnx_model.SerializeToString(), []).predict, input_example
        )
    if save_as_external_data:  # onnx moves tensors out of the proto it saves: save a copy
        copy = onnx.ModelProto()
        copy.CopyFrom(onnx_model)
        onnx_model = copy
    onnx.save_model(
        onnx_model, os.path.join(target, DATA_FILE), save_as_external_data=save_as_external_data
    )
    if input_example is not None:
        save_input_example(model, target, input_example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    packages = ["onnx", "onnxruntime", "numpy"]
    lines = environment.requirements(
        packages, pip_requirements, extra_pip_requirements, model_dir=target
    )
    env = environment.write_environment(target, lines)
    add_pyfunc_flavor(model, LOADER_MODULE, env, code=code, data=DATA_FILE)
    model.add_flavor(
        FLAVOR_NAME,
        onnx_version=onnx.__version__,
        data=DATA_FILE,
        providers=providers,
        onnx_session_options=options,
        code=code,
    )
    finish_model(model, target)


def log_model(
    onnx_model: Any,
    name: str,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    onnx_execution_providers: Sequence[str] | None = None,
    onnx_session_options: Mapping[str, Any] | None = None,
    save_as_external_data: bool = True,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log an ONNX model as a logged model (``models:/m-<id>``) of the active run."""
    return log_with(save_model, locals())


def _flavor_conf(directory: str) -> dict[str, Any]:
    return flavor_conf(directory, FLAVOR_NAME)


def _model_file(directory: str, conf: Mapping[str, Any]) -> str:
    file_path = os.path.join(directory, str(conf.get("data") or DATA_FILE))
    if not os.path.isfile(file_path):
        raise InvalidArgument(f"The model file '{file_path}' is missing from the model directory.")
    return file_path


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The ``onnx.ModelProto`` of a model (path or model URI), checked by onnx's checker."""
    import onnx

    directory = download_model(model_uri, dst_path)
    file_path = _model_file(directory, _flavor_conf(directory))
    onnx.checker.check_model(file_path)
    return onnx.load(file_path)


def _session_options(options: Mapping[str, Any] | None) -> Any:
    import onnxruntime  # type: ignore[import-untyped]

    checked = _check_session_options(options) or {}
    result = onnxruntime.SessionOptions()
    for name in ("inter_op_num_threads", "intra_op_num_threads"):
        if checked.get(name):
            setattr(result, name, int(checked[name]))
    mode = checked.get("execution_mode")
    if mode:
        result.execution_mode = getattr(onnxruntime.ExecutionMode, f"ORT_{str(mode).upper()}")
    if checked.get("graph_optimization_level") is not None:
        level = onnxruntime.GraphOptimizationLevel(int(checked["graph_optimization_level"]))
        result.graph_optimization_level = level
    for key, value in (checked.get("extra_session_config") or {}).items():
        result.add_session_config_entry(str(key), str(value))
    return result


def _usable_providers(declared: Any) -> list[Any]:
    import onnxruntime

    if isinstance(declared, str):
        declared = [declared]
    entries = [tuple(p) if isinstance(p, list) else p for p in (declared or DEFAULT_PROVIDERS)]
    available = set(onnxruntime.get_available_providers())
    usable = [p for p in entries if (p[0] if isinstance(p, tuple) else p) in available]
    if len(usable) < len(entries):
        _logger.info(
            "ONNX providers %s are not available in this onnxruntime; using %s.",
            [p for p in entries if p not in usable],
            usable or ["CPUExecutionProvider"],
        )
    return usable or ["CPUExecutionProvider"]


class _Session:
    """An onnxruntime session and the input/output names predict maps data onto."""

    def __init__(self, model: str | bytes, providers: list[Any], options: Any = None) -> None:
        import onnxruntime

        self.session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=providers or ["CPUExecutionProvider"]
        )
        self.inputs = [(i.name, i.type) for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]

    def _feeds(self, data: Any) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        if isinstance(data, Mapping):
            feeds = {str(k): np.asarray(v) for k, v in data.items()}
        elif isinstance(data, np.ndarray):
            if len(self.inputs) != 1:
                raise InvalidArgument(
                    f"Invalid input: an ndarray feeds a model with one input, this one has "
                    f"{len(self.inputs)} ({[n for n, _ in self.inputs]}); pass a dict of input "
                    "name to array or a DataFrame."
                )
            feeds = {self.inputs[0][0]: data}
        elif isinstance(data, pd.DataFrame):
            if len(self.inputs) == 1:
                feeds = {self.inputs[0][0]: data.to_numpy()}
            else:
                missing = [n for n, _ in self.inputs if n not in data.columns]
                if missing:
                    raise InvalidArgument(f"Invalid input: missing the model's inputs {missing}.")
                feeds = {n: data[n].to_numpy() for n, _ in self.inputs}
        else:
            raise InvalidArgument(
                "Invalid input: expected a dict of input name to array, an ndarray or a "
                f"DataFrame, got {type(data).__name__}."
            )
        for name, kind in self.inputs:
            value = feeds.get(name)
            if kind == "tensor(float)" and value is not None and value.dtype == np.float64:
                feeds[name] = value.astype(np.float32)
        return feeds

    def predict(self, data: Any) -> Any:
        import numpy as np
        import pandas as pd

        outputs = self.session.run(self.output_names, self._feeds(data))
        named = dict(zip(self.output_names, outputs, strict=True))
        if isinstance(data, pd.DataFrame):
            return pd.DataFrame({n: np.asarray(v).reshape(-1) for n, v in named.items()})
        return named


class OnnxModelWrapper:
    """pyfunc implementation over an onnxruntime ``InferenceSession`` (``model``)."""

    def __init__(self, file_path: str, conf: Mapping[str, Any]) -> None:
        providers = _usable_providers(conf.get("providers"))
        self._session = _Session(
            file_path, providers, _session_options(conf.get("onnx_session_options"))
        )
        self.model = self._session.session

    def get_raw_model(self) -> Any:
        return self.model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._session.predict(data)


def _load_pyfunc(path: str) -> OnnxModelWrapper:
    """pyfunc loader: ``path`` is the model file (the pyfunc ``data``) or the directory."""
    directory = os.path.dirname(path) if os.path.isfile(path) else path
    conf = _flavor_conf(directory)
    return OnnxModelWrapper(_model_file(directory, conf), conf)
