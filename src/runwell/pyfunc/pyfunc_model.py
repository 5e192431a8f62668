"""PyFuncModel and ``load_model``: any model with a python_function flavor, behind one predict.

``load_model`` finds the model (a path or any model URI), reads MLmodel, puts the flavor's
``code`` directory on ``sys.path``, imports the loader module (MLflow's names map to runwell's,
see runwell.models.flavor) and calls its ``_load_pyfunc(data_path[, model_config])``.
``PyFuncModel.predict`` enforces the signature's input schema and params schema first.

Loading a model unpickles its files only when the model is the user's own or the caller opted
in (``allow_pickle``; runwell.models.trust says which models are whose).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import trust
from runwell.models.enforcement import enforce_params, enforce_schema
from runwell.models.flavor import PYFUNC_FLAVOR, runwell_loader_name
from runwell.models.model import Model

_logger = logging.getLogger(__name__)


class PyFuncModel:
    """A loaded model: ``predict(data, params=None)``, ``metadata`` (the MLmodel)."""

    def __init__(
        self, model_meta: Model, model_impl: Any, loader_module: str, predict_fn: str = "predict"
    ) -> None:
        method = getattr(model_impl, predict_fn, None)
        if not callable(method):
            raise InvalidArgument(
                f"The loader '{loader_module}' returned {type(model_impl).__name__}, which has "
                f"no {predict_fn}() method (the flavor's predict_fn)."
            )
        self._meta = model_meta
        self._impl = model_impl
        self._predict = method
        self.loader_module = loader_module
        self.predict_fn = predict_fn
        self._impl_takes_params = "params" in _parameter_names(method)

    @property
    def metadata(self) -> Model:
        return self._meta

    @property
    def model_config(self) -> dict[str, Any]:
        context = getattr(self._impl, "context", None)
        return dict(getattr(context, "model_config", {}) or {})

    def __repr__(self) -> str:
        flavors = sorted(self._meta.flavors)
        return f"PyFuncModel(loader_module={self.loader_module!r}, flavors={flavors})"

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Predict on ``data`` once it fits the signature (InvalidArgument when it cannot)."""
        schema = self._meta.get_input_schema()
        if schema is not None:
            data = enforce_schema(data, schema)
        checked = enforce_params(params, self._meta.get_params_schema())
        if self._impl_takes_params:
            return self._predict(data, params=checked)
        return self._predict(data)

    def prepare_for_serving(self) -> None:
        """Let the flavor switch to its fastest safe prediction path for a scoring server
        (a flavor's ``prepare_for_serving``, when it has one)."""
        prepare = getattr(self._impl, "prepare_for_serving", None)
        if callable(prepare):
            prepare()

    def unwrap_python_model(self) -> Any:
        """The user's PythonModel instance (only for models saved from a PythonModel)."""
        python_model = getattr(self._impl, "python_model", None)
        if python_model is None:
            raise InvalidArgument(
                f"unwrap_python_model() needs a model saved from a PythonModel; this one is "
                f"loaded by '{self.loader_module}'. Use get_raw_model() instead."
            )
        return python_model

    def get_raw_model(self) -> Any:
        """The object the flavor loaded (an estimator, a PythonModel ...)."""
        unwrap = getattr(self._impl, "get_raw_model", None)
        if callable(unwrap):
            return unwrap()
        for name in ("python_model", "model", "sklearn_model"):
            inner = getattr(self._impl, name, None)
            if inner is not None:
                return inner
        return self._impl


def _parameter_names(function: Any) -> list[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def load_model(
    model_uri: str,
    model_config: Mapping[str, Any] | None = None,
    dst_path: str | None = None,
    *,
    allow_pickle: bool | None = None,
    skops_trusted_types: Sequence[str] | None = None,
) -> PyFuncModel:
    """Load a model with a python_function flavor from a path or model URI.

    Args:
        model_uri: a local path, ``file:``, ``runs:/<run_id>/<path>``, ``models:/<model_id>``
            or ``mlflow-artifacts:``/``s3://`` URI.
        model_config: overrides of the flavor's ``config`` passed to the loader.
        dst_path: where to download a remote model (a new temporary directory by default).
        allow_pickle: unpickle the model's files (which runs code from them) even though it
            comes from a server or a registry; default: only for your own models (a path, or
            a store on this machine) unless RUNWELL_ALLOW_PICKLE=1. False refuses always.
        skops_trusted_types: extra types (``module.Class``) skops may build, beyond its own
            (and RUNWELL_SKOPS_TRUSTED_TYPES).

    Raises:
        PickleRefused: the model's files are pickles and pickles are not allowed for it.
    """
    local, decision = trust.fetch(
        model_uri, dst_path, allow_pickle=allow_pickle, skops_trusted_types=skops_trusted_types
    )
    meta = Model.load(local)
    conf = meta.flavors.get(PYFUNC_FLAVOR)
    if conf is None:
        raise InvalidArgument(
            f"Model '{model_uri}' has no python_function flavor (it has "
            f"{sorted(meta.flavors)}); load it with its own flavor's load_model."
        )
    recorded = conf.get("loader_module")
    if not recorded or not isinstance(recorded, str):
        raise InvalidArgument(
            f"Invalid MLmodel of '{model_uri}': the python_function flavor has no loader_module."
        )
    module_name = runwell_loader_name(recorded)
    code = conf.get("code")
    if code:
        code_dir = os.path.join(local, str(code))
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidArgument(
            f"Cannot load '{model_uri}': its loader module '{module_name}' cannot be imported "
            f"({exc}). Install the model's requirements.txt."
        ) from None
    loader = getattr(module, "_load_pyfunc", None)
    if loader is None:
        raise InvalidArgument(
            f"Cannot load '{model_uri}': loader module '{module_name}' has no _load_pyfunc."
        )
    data_path = os.path.join(local, str(conf["data"])) if conf.get("data") else local
    with trust.loading(decision):
        if "model_config" in _parameter_names(loader):
            impl = loader(data_path, model_config=model_config)
        else:
            if model_config:
                _logger.warning("Loader '%s' takes no model_config; it is ignored.", module_name)
            impl = loader(data_path)
    return PyFuncModel(meta, impl, module_name, str(conf.get("predict_fn") or "predict"))
