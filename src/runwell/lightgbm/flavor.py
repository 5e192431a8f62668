"""The ``lightgbm`` flavor: save, log and load LightGBM models.

MLmodel gets two flavors, as MLflow writes them: ``lightgbm`` (``lgb_version``, ``data``,
``model_class``, ``serialization_format``, ``skops_trusted_types``, ``code``) and
``python_function`` with loader ``mlflow.lightgbm`` (read by this module in runwell, see
runwell.models.flavor) and ``data``. A ``lightgbm.basic.Booster`` is written with its own
``save_model`` (text, no pickle); any other class is a scikit-learn API model, written and read
by runwell.sklearn's serialization (skops with LightGBM's own classes trusted, falling back to
cloudpickle, logged, when skops cannot hold it).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment, trust
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
from runwell.sklearn import serialization

_logger = logging.getLogger(__name__)

FLAVOR_NAME = "lightgbm"
LOADER_MODULE = "runwell.lightgbm"
BOOSTER_CLASS = "lightgbm.basic.Booster"
BOOSTER_FILE = "model.lgb"
# The types a LightGBM scikit-learn model holds; skops may load them without a user's say-so.
TRUSTED_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
)


def _class_name(model: Any) -> str:
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"


def save_model(
    lgb_model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: str = serialization.SKOPS,
    skops_trusted_types: Sequence[str] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save a LightGBM model as a model directory MLflow and runwell both load.

    Args:
        lgb_model: a ``lightgbm.Booster`` or a fitted scikit-learn API model
            (``LGBMClassifier``, ``LGBMRegressor`` ...).
        path: a new (or empty) directory.
        code_paths: files/directories copied to ``code/``.
        signature: inferred from ``input_example`` (and a prediction on it) when omitted.
        input_example: an example input (DataFrame, ndarray ...).
        pip_requirements / extra_pip_requirements: see runwell.models.environment.
        metadata: free-form metadata recorded in MLmodel.
        serialization_format: for scikit-learn API models: ``skops`` (default), ``cloudpickle``
            or ``pickle``. A Booster is always written in LightGBM's text format.
        skops_trusted_types: types trusted when loading skops files, beyond LightGBM's own.
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
    """
    import lightgbm

    if not isinstance(lgb_model, (lightgbm.Booster, lightgbm.LGBMModel)):
        raise InvalidArgument(
            f"Invalid lgb_model: expected a lightgbm.Booster or a lightgbm scikit-learn model "
            f"(LGBMClassifier, LGBMRegressor ...), got {type(lgb_model).__name__}."
        )
    fmt = serialization.check_format(serialization_format)
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    model = mlflow_model or Model()
    target = prepare_directory(path)
    code = copy_code_paths(code_paths, target)
    trusted = sorted(set(TRUSTED_TYPES) | set(skops_trusted_types or ()))
    is_booster = isinstance(lgb_model, lightgbm.Booster)
    if is_booster:
        file_name = BOOSTER_FILE
        lgb_model.save_model(os.path.join(target, file_name))
    else:
        fmt, file_name = serialization.dump(lgb_model, target, fmt, trusted)
    if signature is None and input_example is not None:
        signature = signature_from_example(LightGBMModelWrapper(lgb_model).predict, input_example)
    if input_example is not None:
        save_input_example(model, target, input_example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    packages = ["lightgbm", "numpy", "scipy"]
    if not is_booster:
        packages.append("scikit-learn")
        if fmt != serialization.PICKLE:
            packages.append(fmt)
    lines = environment.requirements(
        packages, pip_requirements, extra_pip_requirements, model_dir=target
    )
    env = environment.write_environment(target, lines)
    add_pyfunc_flavor(model, LOADER_MODULE, env, code=code, data=file_name)
    model.add_flavor(
        FLAVOR_NAME,
        lgb_version=lightgbm.__version__,
        data=file_name,
        model_class=_class_name(lgb_model),
        code=code,
        serialization_format=fmt,
        skops_trusted_types=trusted if fmt == serialization.SKOPS else None,
    )
    finish_model(model, target)


def log_model(
    lgb_model: Any,
    name: str,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    serialization_format: str = serialization.SKOPS,
    skops_trusted_types: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log a LightGBM model as a logged model (``models:/m-<id>``) of the active run."""
    return log_with(save_model, locals())


def _flavor_conf(directory: str) -> dict[str, Any]:
    return flavor_conf(directory, FLAVOR_NAME)


def _load_from(directory: str) -> Any:
    conf = _flavor_conf(directory)
    file_name = conf.get("data")
    if not file_name:
        raise InvalidArgument("Invalid lightgbm flavor: 'data' (the model file) is missing.")
    file_path = os.path.join(directory, str(file_name))
    if not os.path.isfile(file_path):
        raise InvalidArgument(f"The model file '{file_path}' is missing from the model directory.")
    if str(conf.get("model_class") or BOOSTER_CLASS) == BOOSTER_CLASS:
        import lightgbm

        return lightgbm.Booster(model_file=file_path)
    fmt = str(conf.get("serialization_format") or serialization.CLOUDPICKLE)
    return serialization.load(file_path, fmt, conf.get("skops_trusted_types"), TRUSTED_TYPES)


def load_model(
    model_uri: str,
    dst_path: str | None = None,
    *,
    allow_pickle: bool | None = None,
    skops_trusted_types: Sequence[str] | None = None,
) -> Any:
    """The LightGBM model of a model (path or model URI): a Booster or a scikit-learn model.

    ``allow_pickle`` and ``skops_trusted_types``: as ``runwell.pyfunc.load_model`` (a pickled
    scikit-learn API model from a server or a registry needs ``allow_pickle=True``).
    """
    directory, decision = trust.fetch(
        model_uri, dst_path, allow_pickle=allow_pickle, skops_trusted_types=skops_trusted_types
    )
    with trust.loading(decision):
        return _load_from(directory)


class LightGBMModelWrapper:
    """pyfunc implementation: the model's ``predict``.

    ``params`` the model's ``predict`` names (``raw_score``, ``num_iteration`` ...) are passed
    on; others are logged and ignored. The model is ``model``, the attribute
    PyFuncModel.get_raw_model reads.
    """

    def __init__(self, lgb_model: Any) -> None:
        self.model = lgb_model

    def get_raw_model(self) -> Any:
        return self.model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.model.predict(
            data, **accepted_params(self.model.predict, params or {}, "lightgbm")
        )


def _load_pyfunc(path: str) -> LightGBMModelWrapper:
    """pyfunc loader: ``path`` is the model file (the pyfunc ``data``) or the directory."""
    directory = os.path.dirname(path) if os.path.isfile(path) else path
    return LightGBMModelWrapper(_load_from(directory))
