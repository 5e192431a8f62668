"""What every flavor's ``save_model`` shares: the python_function entry and the directory.

Loader modules, decided for two-way compatibility with MLflow: ``mlflow.pyfunc.load_model``
imports the ``loader_module`` named in the MLmodel's python_function flavor, and it can only
import its own modules. So for the flavors both tools support runwell **writes MLflow's
loader names** (``mlflow.sklearn``, ``mlflow.pyfunc.model``) and maps them back to its own
modules when it loads (``runwell.sklearn``, ``runwell.pyfunc.model``), never importing mlflow.
Both tools then read the same flavor files (``model.skops``/``model.pkl``,
``python_model.pkl``) with the same keys. A loader module runwell does not know is imported
as named (third-party flavors); an ``mlflow.*`` loader without a runwell counterpart is
refused with a message naming it.

The MLmodel file is written last, so a directory a killed process left behind is not a model.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runwell.errors import AlreadyExists, InvalidArgument
from runwell.models.model import Model

PYFUNC_FLAVOR = "python_function"
# MLflow's loader module -> runwell's module that reads the same files.
LOADER_MODULES = {
    "mlflow.sklearn": "runwell.sklearn",
    "mlflow.pyfunc.model": "runwell.pyfunc.model",
    "mlflow.lightgbm": "runwell.lightgbm",
    "mlflow.onnx": "runwell.onnx",
    "mlflow.pytorch": "runwell.pytorch",
    "mlflow.statsmodels": "runwell.statsmodels",
    "mlflow.xgboost": "runwell.xgboost",
}
_WRITTEN_NAMES = {ours: theirs for theirs, ours in LOADER_MODULES.items()}
# Read, never written: MLflow records its models-from-code loader under this name, and
# runwell's PythonModel loader runs the code file (model_code_path) for either tool.
_READ_ALSO = {"mlflow.pyfunc.loaders.code_model": "runwell.pyfunc.model"}
CODE_DIR = "code"


def written_loader_name(module: str) -> str:
    """The loader name recorded in MLmodel for a runwell module (MLflow's where it has one)."""
    return _WRITTEN_NAMES.get(module, module)


def runwell_loader_name(recorded: str) -> str:
    """The module runwell imports for a recorded loader name."""
    if recorded in LOADER_MODULES:
        return LOADER_MODULES[recorded]
    if recorded in _READ_ALSO:
        return _READ_ALSO[recorded]
    if recorded == "mlflow" or recorded.startswith("mlflow."):
        supported = ", ".join(sorted(LOADER_MODULES))
        raise InvalidArgument(
            f"Cannot load this model: its python_function loader_module is '{recorded}', an "
            f"MLflow flavor runwell does not read yet (supported: {supported})."
        )
    return recorded


def add_pyfunc_flavor(
    model: Model,
    loader_module: str,
    env: dict[str, Any],
    code: str | None = None,
    data: str | None = None,
    **config: Any,
) -> None:
    """Record the python_function flavor (reference §2.1) for ``loader_module``."""
    conf: dict[str, Any] = {
        "loader_module": written_loader_name(loader_module),
        "python_version": platform.python_version(),
        "env": env,
    }
    if code is not None or "python_model" in config:
        conf["code"] = code
    if data is not None:
        conf["data"] = data
    conf.update(config)
    model.add_flavor(PYFUNC_FLAVOR, **conf)


def prepare_directory(path: str | os.PathLike[str]) -> str:
    """Create the model directory; AlreadyExists when something is there already."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExists(
            f"Path '{target}' already exists and is not empty: save a model to a new directory."
        )
    target.mkdir(parents=True, exist_ok=True)
    return str(target)


def copy_code_paths(code_paths: Sequence[str] | None, path: str) -> str | None:
    """Copy ``code_paths`` into ``<path>/code``; the relative dir, or None when none given."""
    if not code_paths:
        return None
    if isinstance(code_paths, str):
        raise InvalidArgument("Invalid code_paths: expected a list of paths, got a string.")
    target = Path(path, CODE_DIR)
    target.mkdir()
    for item in code_paths:
        source = Path(item)
        if not source.exists():
            raise InvalidArgument(f"Invalid code_paths entry '{item}': no such file or directory.")
        if source.is_dir():
            shutil.copytree(source, target / source.name, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target / source.name)
    return CODE_DIR


def directory_size(path: str) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def finish_model(model: Model, path: str) -> None:
    """Record the size and write MLmodel, the last file of a complete model directory."""
    model.model_size_bytes = directory_size(path)
    model.save(Path(path, "MLmodel"))


def accepted_params(
    function: Any, params: Mapping[str, Any], flavor: str, inputs: Sequence[str] = ("data", "X")
) -> dict[str, Any]:
    """The inference params ``function`` takes by name (its input arguments excluded); the
    others are dropped with a warning naming them."""
    import inspect
    import logging

    names = inspect.signature(function).parameters
    kept = {k: v for k, v in params.items() if k in names and k not in (*inputs, "kwargs")}
    ignored = sorted(set(params) - set(kept))
    if ignored:
        logging.getLogger(__name__).warning(
            "Params %s are not accepted by the %s model; ignored.", ignored, flavor
        )
    return kept


def flavor_conf(directory: str, flavor: str) -> dict[str, Any]:
    """The ``flavor`` section of the MLmodel in ``directory``; InvalidArgument naming the
    flavors it has when that one is missing."""
    flavors = Model.load(directory).flavors
    conf = flavors.get(flavor)
    if conf is None:
        raise InvalidArgument(
            f"Model at '{directory}' has no {flavor} flavor (it has {sorted(flavors)})."
        )
    return dict(conf)
