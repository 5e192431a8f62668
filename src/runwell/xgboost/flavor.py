"""The ``xgboost`` flavor: save, log and load XGBoost models in XGBoost's own file format.

MLmodel gets two flavors, as MLflow writes them: ``xgboost`` (``xgb_version``, ``data``,
``model_class``, ``model_format``, ``code``) and ``python_function`` with loader
``mlflow.xgboost`` (read by this module in runwell, see runwell.models.flavor) and ``data``.
``model_class`` names the class to rebuild on load (``xgboost.core.Booster`` or a scikit-learn
API class such as ``xgboost.sklearn.XGBClassifier``); only classes inside the ``xgboost``
package are accepted, so an edited MLmodel cannot make the loader import other code.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping, Sequence
from importlib import metadata as importlib_metadata
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment
from runwell.models.flavor import (
    accepted_params,
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

FLAVOR_NAME = "xgboost"
LOADER_MODULE = "runwell.xgboost"
MODEL_FORMATS = ("ubj", "json", "xgb")
DEFAULT_CLASS = "xgboost.core.Booster"
# XGBoost ships as ``xgboost`` or ``xgboost-cpu`` (same module): pin whichever is installed.
_DISTRIBUTIONS = ("xgboost", "xgboost-cpu")


def _installed_distributions() -> list[str]:
    found = []
    for name in _DISTRIBUTIONS:
        try:
            importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
        found.append(name)
    return found or ["xgboost"]


def _class_name(model: Any) -> str:
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    model_format: str = "ubj",
    metadata: Mapping[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save an XGBoost model as a model directory MLflow and runwell both load.

    Args:
        xgb_model: an ``xgboost.Booster`` or a fitted scikit-learn API model
            (``XGBClassifier``, ``XGBRegressor`` ...).
        path: a new (or empty) directory.
        code_paths: files/directories copied to ``code/``.
        signature: inferred from ``input_example`` (and a prediction on it) when omitted.
        input_example: an example input (DataFrame, ndarray ...).
        pip_requirements / extra_pip_requirements: see runwell.models.environment.
        model_format: ``ubj`` (default, UBJSON), ``json`` or ``xgb``: the file is
            ``model.<model_format>``.
        metadata: free-form metadata recorded in MLmodel.
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
    """
    import xgboost

    if not isinstance(xgb_model, (xgboost.Booster, xgboost.XGBModel)):
        raise InvalidArgument(
            f"Invalid xgb_model: expected an xgboost.Booster or an xgboost scikit-learn model "
            f"(XGBClassifier, XGBRegressor ...), got {type(xgb_model).__name__}."
        )
    if model_format not in MODEL_FORMATS:
        raise InvalidArgument(
            f"Invalid model_format {model_format!r}: expected one of {', '.join(MODEL_FORMATS)}."
        )
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    model = mlflow_model or Model()
    target = prepare_directory(path)
    code = copy_code_paths(code_paths, target)
    file_name = f"model.{model_format}"
    xgb_model.save_model(os.path.join(target, file_name))
    if signature is None and input_example is not None:
        signature = signature_from_example(XGBoostModelWrapper(xgb_model).predict, input_example)
    if input_example is not None:
        save_input_example(model, target, input_example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    packages = [*_installed_distributions(), "numpy", "scipy"]
    if isinstance(xgb_model, xgboost.XGBModel):
        packages.append("scikit-learn")
    lines = environment.requirements(
        packages, pip_requirements, extra_pip_requirements, model_dir=target
    )
    env = environment.write_environment(target, lines)
    add_pyfunc_flavor(model, LOADER_MODULE, env, code=code, data=file_name)
    model.add_flavor(
        FLAVOR_NAME,
        xgb_version=xgboost.__version__,
        data=file_name,
        model_class=_class_name(xgb_model),
        model_format=model_format,
        code=code,
    )
    finish_model(model, target)


def log_model(
    xgb_model: Any,
    name: str,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    model_format: str = "ubj",
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log an XGBoost model as a logged model (``models:/m-<id>``) of the active run."""
    return log_with(save_model, locals())


def _flavor_conf(directory: str) -> dict[str, Any]:
    return flavor_conf(directory, FLAVOR_NAME)


def _model_class(name: str) -> type[Any]:
    module_name, _, class_name = name.rpartition(".")
    if not module_name or (module_name != "xgboost" and not module_name.startswith("xgboost.")):
        raise InvalidArgument(
            f"Invalid xgboost flavor: model_class {name!r} is not a class of the xgboost package."
        )
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if not isinstance(cls, type):
        raise InvalidArgument(f"Invalid xgboost flavor: model_class {name!r} does not exist.")
    return cls


def _load_from(directory: str) -> Any:
    conf = _flavor_conf(directory)
    file_name = conf.get("data")
    if not file_name:
        raise InvalidArgument("Invalid xgboost flavor: 'data' (the model file) is missing.")
    file_path = os.path.join(directory, str(file_name))
    if not os.path.isfile(file_path):
        raise InvalidArgument(f"The model file '{file_path}' is missing from the model directory.")
    model = _model_class(str(conf.get("model_class") or DEFAULT_CLASS))()
    model.load_model(file_path)
    return model


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The XGBoost model of a model (path or model URI): a Booster or a scikit-learn model."""
    return _load_from(download_model(model_uri, dst_path))


class XGBoostModelWrapper:
    """pyfunc implementation: a Booster predicts on a DMatrix built from the input.

    ``params`` the model's ``predict`` accepts are passed on (``iteration_range``,
    ``output_margin`` ...); others are logged and ignored, as MLflow does. The model is
    ``model``, the attribute PyFuncModel.get_raw_model reads.
    """

    def __init__(self, xgb_model: Any) -> None:
        self.model = xgb_model

    def get_raw_model(self) -> Any:
        return self.model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import xgboost

        accepted = accepted_params(self.model.predict, params or {}, "xgboost")
        if isinstance(self.model, xgboost.Booster):
            return self.model.predict(xgboost.DMatrix(data), **accepted)
        return self.model.predict(data, **accepted)


def _load_pyfunc(path: str) -> XGBoostModelWrapper:
    """pyfunc loader: ``path`` is the model file (the pyfunc ``data``) or the directory."""
    directory = os.path.dirname(path) if os.path.isfile(path) else path
    return XGBoostModelWrapper(_load_from(directory))
