"""The files of a PyTorch model's ``data/`` directory, written and read as MLflow does.

Two formats (the flavor's ``serialization_format``; MLmodel does not record it, the file name
tells):

- ``pickle``: ``data/model.pth`` from ``torch.save`` with a pickle module (cloudpickle by
  default), whose name is written to ``data/pickle_module_info.txt`` (the pyfunc loader only
  sees ``data/``). A ``torch.jit.ScriptModule`` is saved with ``torch.jit.save`` under the
  same name. Loading runs code from the file: it is logged with the file's path.
- ``pt2``: ``data/model.pt2`` from ``torch.export.save``: a traced graph and its weights, no
  model class needed to load it. Tracing needs example inputs; the batch dimension is kept
  dynamic. An exported model cannot move to another device after loading.
"""

from __future__ import annotations

import importlib
import logging
import os
import zipfile
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import trust

_logger = logging.getLogger(__name__)

PICKLE = "pickle"
PT2 = "pt2"
FORMATS = (PICKLE, PT2)
MODEL_DATA = "data"
PICKLED_FILE = "model.pth"
EXPORTED_FILE = "model.pt2"
PICKLE_INFO_FILE = "pickle_module_info.txt"
STATE_DICT_FILE = "state_dict.pth"
# runwell's cloudpickle module is recorded under the name of MLflow's equivalent, so both load.
_OWN_PICKLE_MODULE = "runwell.pytorch.pickle_module"
_RECORDED_PICKLE_MODULE = "mlflow.pytorch.pickle_module"


def default_pickle_module() -> ModuleType:
    return importlib.import_module(_OWN_PICKLE_MODULE)


def recorded_pickle_module_name(module: ModuleType) -> str:
    """The name written for ``module`` (MLflow's for runwell's cloudpickle module)."""
    return _RECORDED_PICKLE_MODULE if module.__name__ == _OWN_PICKLE_MODULE else module.__name__


def pickle_module_named(name: str) -> ModuleType:
    """The module a recorded pickle module name stands for in runwell."""
    if name == _RECORDED_PICKLE_MODULE:
        name = _OWN_PICKLE_MODULE
    elif name == "mlflow" or name.startswith("mlflow."):
        raise InvalidArgument(
            f"Cannot load this model: it was pickled with '{name}', an MLflow module runwell "
            f"has no counterpart for (known: {_RECORDED_PICKLE_MODULE})."
        )
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise InvalidArgument(
            f"Cannot load this model: its pickle module '{name}' cannot be imported ({exc})."
        ) from None


def check_format(serialization_format: str) -> str:
    if serialization_format not in FORMATS:
        raise InvalidArgument(
            f"Invalid serialization_format {serialization_format!r}: expected one of "
            f"{', '.join(FORMATS)}."
        )
    return serialization_format


def write_pickled(
    model: Any, data_dir: str, pickle_module: ModuleType, torch_save_kwargs: Mapping[str, Any]
) -> None:
    import torch

    with open(os.path.join(data_dir, PICKLE_INFO_FILE), "w", encoding="utf-8") as handle:
        handle.write(recorded_pickle_module_name(pickle_module))
    path = os.path.join(data_dir, PICKLED_FILE)
    if isinstance(model, torch.jit.ScriptModule):
        torch.jit.save(model, path)
    else:
        torch.save(model, path, pickle_module=pickle_module, **torch_save_kwargs)


def several_inputs(example: Any) -> bool:
    import numpy as np
    import torch

    return isinstance(example, (tuple, list)) and all(
        isinstance(v, (np.ndarray, torch.Tensor)) for v in example
    )


def _export_inputs(example: Any) -> list[Any]:
    import numpy as np
    import torch

    values = list(example) if several_inputs(example) else [example]
    if example is None or not all(isinstance(v, (np.ndarray, torch.Tensor)) for v in values):
        raise InvalidArgument(
            "Invalid input_example for serialization_format 'pt2': expected an ndarray or "
            "tensor (or a tuple of them, one per forward argument) to trace the model with, "
            f"got {type(example).__name__}."
        )
    return [v if isinstance(v, torch.Tensor) else torch.from_numpy(v) for v in values]


def write_exported(model: Any, data_dir: str, example: Any) -> None:
    """``torch.export`` the model on ``example`` (arrays or tensors), batch dimension dynamic."""
    import torch
    from torch.export import Dim

    if isinstance(model, torch.jit.ScriptModule):
        raise InvalidArgument(
            "Invalid serialization_format 'pt2' for a torch.jit.ScriptModule: use 'pickle'."
        )
    examples = _export_inputs(example)
    dynamic = [{0: Dim.AUTO} if t.dim() > 0 else None for t in examples]
    try:
        program = torch.export.export(model, tuple(examples), dynamic_shapes=dynamic)
    except Exception as exc:  # torch.export raises many types for code it cannot trace
        raise InvalidArgument(
            f"Cannot save the model with serialization_format 'pt2': torch.export failed on "
            f"the input example ({type(exc).__name__}: {str(exc)[:500]}). Use "
            "serialization_format='pickle'."
        ) from exc
    torch.export.save(program, os.path.join(data_dir, EXPORTED_FILE))


def _is_torchscript(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("/constants.pkl") for n in archive.namelist())
    except zipfile.BadZipFile:
        return False


def _read_pickled(data_dir: str, kwargs: dict[str, Any]) -> Any:
    import torch

    path = os.path.join(data_dir, PICKLED_FILE)
    if _is_torchscript(path):
        return torch.jit.load(path, map_location=kwargs.get("map_location"))  # type: ignore[no-untyped-call]
    info = os.path.join(data_dir, PICKLE_INFO_FILE)
    recorded = _RECORDED_PICKLE_MODULE
    if os.path.isfile(info):
        with open(info, encoding="utf-8") as handle:
            recorded = handle.read().strip()
    given = kwargs.get("pickle_module")
    if given is not None and recorded_pickle_module_name(given) != recorded:
        _logger.warning(
            "Loading %s with pickle module '%s'; it was saved with '%s'.",
            path,
            given.__name__,
            recorded,
        )
    if kwargs.get("weights_only") is not True:
        # A whole model is a pickle: the user's own model, or an opt-in (runwell.models.trust).
        trust.current().require_pickle(path, "torch.load")
        kwargs.setdefault("pickle_module", pickle_module_named(recorded))
        kwargs.setdefault("weights_only", False)  # a whole model is not weights only
    try:
        return torch.load(path, **kwargs)
    except ModuleNotFoundError as exc:
        raise InvalidArgument(
            f"Cannot load '{path}': the model's class needs module '{exc.name}', which is not "
            "importable here. Save the model with code_paths listing the file that defines it."
        ) from exc
    except RuntimeError as exc:
        if "CUDA" not in str(exc):
            raise
        raise InvalidArgument(
            f"Cannot load '{path}': it was saved on a GPU and this machine has none; load it "
            "with device='cpu' (runwell.pytorch.load_model) or model_config={'device': 'cpu'}."
        ) from exc


def read_model(
    data_dir: str, device: str | None, torch_load_kwargs: Mapping[str, Any]
) -> tuple[Any, bool]:
    """The model in ``data_dir`` in eval mode (on ``device`` when given); (model, exported)."""
    import torch

    if os.path.isfile(os.path.join(data_dir, PICKLED_FILE)):
        kwargs = dict(torch_load_kwargs)
        if device is not None:
            kwargs.setdefault("map_location", device)
        model = _read_pickled(data_dir, kwargs)
        model.eval()
        if device is not None:
            model.to(device)
        return model, False
    path = os.path.join(data_dir, EXPORTED_FILE)
    if not os.path.isfile(path):
        raise InvalidArgument(
            f"The model file is missing: expected '{PICKLED_FILE}' or '{EXPORTED_FILE}' in "
            f"'{data_dir}'."
        )
    _logger.info("Loading %s (torch.export.load unpickles the tensors in it).", path)
    model = torch.export.load(path).module()
    if device is not None:
        check_exported_device(model, device)
    return model, True


def check_exported_device(model: Any, device: str) -> None:
    """An exported model's weights stay where they were saved: refuse another device."""
    import torch

    wanted = torch.device(device).type
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.device.type != wanted:
            raise InvalidArgument(
                f"Invalid device {device!r}: this model was saved with serialization_format "
                f"'pt2' and its weights are on '{tensor.device.type}', where they must stay. "
                f"Save it from a model on '{wanted}' to predict there."
            )
