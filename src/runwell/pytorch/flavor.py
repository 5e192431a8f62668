"""The ``pytorch`` flavor: save, log and load ``torch.nn.Module`` models.

The directory is the one MLflow writes: the model under ``data/`` (see
runwell.pytorch.serialization for its two formats), and MLmodel with two flavors: ``pytorch``
(``model_data: data``, ``pytorch_version``, ``code``, and ``extra_files`` when given) and
``python_function`` with loader ``mlflow.pytorch`` (read by this package in runwell, see
runwell.models.flavor), ``data: data``, ``pickle_module_name`` and ``config: {device: null}``.

requirements.txt pins torch without its local version label (``torch==2.13.0`` for an
installed ``2.13.0+cpu``, see environment.pinned), as MLflow does: ``torch==2.13.0+cpu``
installs only from PyTorch's own index, ``torch==2.13.0`` from PyPI; the build (CPU, CUDA)
is the deployer's choice. To pin a build, pass it in ``pip_requirements``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment, trust
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
from runwell.pytorch import serialization
from runwell.pytorch.wrapper import PyTorchModelWrapper, default_device, resolve_device

_logger = logging.getLogger(__name__)

FLAVOR_NAME = "pytorch"
LOADER_MODULE = "runwell.pytorch"
EXTRA_FILES_DIR = "extra_files"


def _as_array(value: Any) -> Any:
    import torch

    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _copy_extra_files(extra_files: Sequence[str] | None, target: str) -> dict[str, Any]:
    if not extra_files:
        return {}
    if isinstance(extra_files, str):
        raise InvalidArgument("Invalid extra_files: expected a list of file paths, got a string.")
    os.mkdir(os.path.join(target, EXTRA_FILES_DIR))
    entries = []
    for item in extra_files:
        if not os.path.isfile(item):
            raise InvalidArgument(f"Invalid extra_files entry '{item}': no such file.")
        relative = f"{EXTRA_FILES_DIR}/{os.path.basename(item)}"
        shutil.copy2(item, os.path.join(target, relative))
        entries.append({"path": relative})
    return {"extra_files": entries}


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    mlflow_model: Model | None = None,
    pickle_module: ModuleType | None = None,
    serialization_format: str = serialization.PICKLE,
    extra_files: Sequence[str] | None = None,
    **kwargs: Any,
) -> None:
    """Save a ``torch.nn.Module`` as a model directory MLflow and runwell both load.

    Args:
        pytorch_model: the module (a ``torch.jit.ScriptModule`` too, with ``pickle``).
        path: a new (or empty) directory.
        code_paths: files/directories copied to ``code/``, on ``sys.path`` when loading:
            list the file defining the model's class so that any process can unpickle it.
        signature: inferred from ``input_example`` (and a prediction on it) when omitted.
        input_example: an example input (DataFrame, ndarray, dict of ndarrays). A tuple of
            ndarrays, one per ``forward`` argument, is traced (``pt2``) but not saved as an
            example; a ``pt2`` model of several inputs has no pyfunc flavor, as in MLflow.
        pip_requirements / extra_pip_requirements: see runwell.models.environment.
        metadata: free-form metadata recorded in MLmodel.
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
        pickle_module: the module ``torch.save`` pickles with (``pickle`` format); default
            cloudpickle, which also stores classes defined in ``__main__``.
        serialization_format: ``pickle`` (default: any module; loading runs code from the
            file) or ``pt2`` (``torch.export``: a traced graph, no class needed to load it; needs
            an ndarray or tensor ``input_example`` to trace with).
        extra_files: files copied to ``extra_files/`` and listed in the flavor.
        **kwargs: passed to ``torch.save``.
    """
    import torch

    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidArgument(
            "Invalid pytorch_model: expected a torch.nn.Module, got "
            f"{type(pytorch_model).__name__}."
        )
    fmt = serialization.check_format(serialization_format)
    if fmt == serialization.PT2 and (pickle_module is not None or kwargs):
        raise InvalidArgument(
            "Invalid arguments for serialization_format 'pt2': pickle_module and torch.save "
            f"arguments ({sorted(kwargs)}) apply to the 'pickle' format only."
        )
    if pickle_module is not None and not hasattr(pickle_module, "Pickler"):
        raise InvalidArgument(
            "Invalid pickle_module: expected a module with a Pickler class (pickle, "
            f"cloudpickle ...), got {type(pickle_module).__name__}."
        )
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    pickler = pickle_module or serialization.default_pickle_module()
    model = mlflow_model or Model()
    target = prepare_directory(path)
    code = copy_code_paths(code_paths, target)
    extra = _copy_extra_files(extra_files, target)
    data_dir = os.path.join(target, serialization.MODEL_DATA)
    os.mkdir(data_dir)
    several = serialization.several_inputs(input_example)  # one array per forward argument
    if fmt == serialization.PT2:
        serialization.write_exported(pytorch_model, data_dir, input_example)
    else:
        serialization.write_pickled(pytorch_model, data_dir, pickler, kwargs)
    example = None if several else _as_array(input_example)
    if signature is None and example is not None:
        signature = signature_from_example(PyTorchModelWrapper(pytorch_model).predict, example)
    if example is not None:
        save_input_example(model, target, example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    packages = (
        ["torch", "cloudpickle", "numpy"] if fmt == serialization.PICKLE else ["torch", "numpy"]
    )
    lines = environment.requirements(
        packages, pip_requirements, extra_pip_requirements, model_dir=target
    )
    env = environment.write_environment(target, lines)
    if not (several and fmt == serialization.PT2):  # as MLflow: no pyfunc for these
        add_pyfunc_flavor(
            model,
            LOADER_MODULE,
            env,
            code=code,
            data=serialization.MODEL_DATA,
            pickle_module_name=serialization.recorded_pickle_module_name(pickler),
            config={"device": None},
        )
    model.add_flavor(
        FLAVOR_NAME,
        model_data=serialization.MODEL_DATA,
        pytorch_version=str(torch.__version__),
        code=code,
        **extra,
    )
    finish_model(model, target)


def log_model(
    pytorch_model: Any,
    name: str,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    pickle_module: ModuleType | None = None,
    serialization_format: str = serialization.PICKLE,
    extra_files: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a ``torch.nn.Module`` as a logged model (``models:/m-<id>``) of the active run;
    the arguments are save_model's, and ``kwargs`` go to ``torch.save``."""
    return log_with(save_model, locals())


def _data_dir(directory: str) -> str:
    conf = flavor_conf(directory, FLAVOR_NAME)
    code = conf.get("code")
    if code:  # the model's class may live there, and unpickling imports it
        code_dir = os.path.join(directory, str(code))
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
    return os.path.join(directory, str(conf.get("model_data") or serialization.MODEL_DATA))


def load_model(
    model_uri: str,
    dst_path: str | None = None,
    device: str | None = None,
    *,
    allow_pickle: bool | None = None,
    **torch_load_kwargs: Any,
) -> Any:
    """The ``torch.nn.Module`` of a model (path or model URI), in eval mode.

    Args:
        model_uri: a path or model URI.
        dst_path: where to download a remote model.
        device: move the model there (``cpu``, ``cuda`` ...); default: where it was saved.
        allow_pickle: a ``pickle``-format model (a whole module, torch.load) from a server
            or a registry needs True (or RUNWELL_ALLOW_PICKLE=1); see runwell.models.trust.
        **torch_load_kwargs: passed to ``torch.load`` (``pickle`` format).
    """
    import torch

    directory, decision = trust.fetch(model_uri, dst_path, allow_pickle=allow_pickle)
    data_dir = _data_dir(directory)
    saved_with = flavor_conf(directory, FLAVOR_NAME).get("pytorch_version")
    if saved_with and saved_with != torch.__version__:
        _logger.warning(
            "The model was saved with torch %s; this is torch %s.", saved_with, torch.__version__
        )
    checked = resolve_device(device) if device is not None else None
    with trust.loading(decision):
        return serialization.read_model(data_dir, checked, torch_load_kwargs)[0]


def _load_pyfunc(path: str, model_config: Mapping[str, Any] | None = None) -> PyTorchModelWrapper:
    """pyfunc loader: ``path`` is the ``data`` directory (or the model directory).

    ``model_config={"device": ...}`` picks the device; by default CUDA when this machine has
    it (a ``pt2`` model stays where its weights were saved).
    """
    if os.path.isfile(os.path.join(path, "MLmodel")):
        path = _data_dir(path)
    asked = (model_config or {}).get("device")
    device = resolve_device(asked) if asked is not None else None
    pickled = os.path.isfile(os.path.join(path, serialization.PICKLED_FILE))
    if device is None and pickled:
        device = default_device()
    model, exported = serialization.read_model(path, device, {})
    if device is None:
        device = next((str(t.device) for t in model.parameters()), "cpu")
    return PyTorchModelWrapper(model, device=device, exported=exported)
