"""Custom Python models: ``PythonModel``, its context, and the loader of ``python_model.pkl``.

This module is the python_function loader of custom models (recorded in MLmodel under
MLflow's name ``mlflow.pyfunc.model``, see runwell.models.flavor). The instance is stored
with cloudpickle, as MLflow stores it, so each tool loads the other's models:

- a runwell ``PythonModel`` offers what MLflow's wrapper asks of one (``load_context``,
  ``predict`` and ``predict_type_hints``), so ``mlflow.pyfunc.load_model`` can use it where
  runwell is installed (requirements.txt names runwell);
- a model pickled by MLflow refers to ``mlflow.pyfunc.model.PythonModel`` and to MLflow's
  type-hint holder; the unpickler here substitutes runwell's classes, so mlflow need not be
  installed. Unpickling runs code from the file: it happens only for the user's own models or
  with the caller's opt-in (runwell.models.trust), and is logged (INFO) with the file's path.
"""

from __future__ import annotations

import inspect
import os
import pickle
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from runwell.errors import InvalidArgument
from runwell.models import trust
from runwell.models.flavor import PYFUNC_FLAVOR
from runwell.models.from_code import load_model_from_code
from runwell.models.model import Model

PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"


class _TypeHints:
    """Input/output type hints of ``predict``: none are declared (MLflow's wrapper reads it)."""

    def __init__(self, input_: Any = None, output: Any = None) -> None:
        self.input = input_
        self.output = output


class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: artifact paths and the model config."""

    def __init__(
        self,
        artifacts: Mapping[str, str] | None = None,
        model_config: Mapping[str, Any] | None = None,
    ) -> None:
        self._artifacts = dict(artifacts or {})
        self._model_config = dict(model_config or {})

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name -> absolute local path of its copy in the model directory."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config


class PythonModel:
    """Subclass and implement ``predict`` to package any Python code as a model.

    ``load_context`` runs once when the model is loaded (read artifacts there);
    ``predict(context, model_input, params=None)`` answers each call.
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Prepare the model from ``context.artifacts`` (default: nothing to do)."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement predict().")

    @property
    def predict_type_hints(self) -> _TypeHints:
        return _TypeHints()


# MLflow classes in its pickles -> the runwell classes that stand in for them.
_SUBSTITUTES: dict[tuple[str, str], type] = {
    ("mlflow.pyfunc.model", "PythonModel"): PythonModel,
    ("mlflow.pyfunc", "PythonModel"): PythonModel,
    ("mlflow.pyfunc.model", "PythonModelContext"): PythonModelContext,
    ("mlflow.pyfunc", "PythonModelContext"): PythonModelContext,
    ("mlflow.models.signature", "_TypeHints"): _TypeHints,
}


class _CompatUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        substitute = _SUBSTITUTES.get((module, name))
        if substitute is not None:
            return substitute
        try:
            return super().find_class(module, name)
        except ModuleNotFoundError as exc:
            raise InvalidArgument(
                f"Cannot load the pickled model: it refers to {module}.{name}, and module "
                f"'{exc.name}' is not installed. Install the model's requirements.txt."
            ) from None


def load_pickle(path: str) -> Any:
    """Unpickle ``path`` where the load in progress allows it (runwell.models.trust).

    Raises:
        PickleRefused: the model is not the user's own and the caller did not opt in.
    """
    trust.current().require_pickle(path, "cloudpickle")
    import cloudpickle  # type: ignore[import-untyped]  # noqa: F401

    with open(path, "rb") as handle:
        return _load(handle)


def _load(handle: BinaryIO) -> Any:
    return _CompatUnpickler(handle).load()


def _predict_function(python_model: Any) -> Callable[..., Any]:
    """The model's predict; MLflow's validation wrapper is stepped over (runwell validates)."""
    method = python_model.predict
    wrapped = getattr(method, "__wrapped__", None)
    code = getattr(getattr(method, "__func__", method), "__code__", None)
    if wrapped is not None and code is not None and f"{os.sep}mlflow{os.sep}" in code.co_filename:
        return lambda *args, **kwargs: wrapped(python_model, *args, **kwargs)
    return method  # type: ignore[no-any-return]


class PythonModelWrapper:
    """The pyfunc implementation of a PythonModel: ``predict(data, params)``."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context
        self._predict = _predict_function(python_model)
        names = list(inspect.signature(python_model.predict).parameters)
        if names and names[0] == "self":
            names = names[1:]
        self._takes_params = "params" in names
        self._takes_context = "context" in names or (len(names) >= 2 and names[1] != "params")

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        args: list[Any] = [self.context, data] if self._takes_context else [data]
        if self._takes_params:
            return self._predict(*args, params=params)
        return self._predict(*args)


def _load_pyfunc(
    model_path: str, model_config: Mapping[str, Any] | None = None
) -> PythonModelWrapper:
    """Load the PythonModel saved in ``model_path`` (the pyfunc loader entry point)."""
    directory = os.path.dirname(model_path) if os.path.isfile(model_path) else model_path
    conf = Model.load(directory).flavors.get(PYFUNC_FLAVOR) or {}
    artifacts = {
        name: os.path.join(directory, str(info["path"]))
        for name, info in (conf.get("artifacts") or {}).items()
    }
    config = dict(conf.get("config") or {})
    config.update(model_config or {})
    if conf.get("model_code_path"):
        python_model = _load_from_code(directory, str(conf["model_code_path"]))
    else:
        python_model = _load_pickled(directory, conf)
    context = PythonModelContext(artifacts, config)
    python_model.load_context(context)
    return PythonModelWrapper(python_model, context)


class _FunctionModel(PythonModel):
    """A plain function given to ``set_model``, seen as a PythonModel."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def predict(  # type: ignore[override]  # MLflow's function models take no context
        self, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        return self.function(model_input)


def _load_from_code(directory: str, recorded: str) -> Any:
    """Run the model's code file (copied beside MLmodel, as MLflow does) for its set_model."""
    code_file = os.path.join(directory, os.path.basename(recorded))
    # Running the file runs whatever it holds, as unpickling would: the same consent applies.
    trust.current().require_pickle(code_file, "model code")
    python_model = load_model_from_code(code_file)
    if not callable(getattr(python_model, "predict", None)):
        python_model = _FunctionModel(python_model)
    return python_model


def _load_pickled(directory: str, conf: Mapping[str, Any]) -> Any:
    pickled = conf.get("python_model")
    if not pickled:
        raise InvalidArgument(
            "Invalid python_function flavor: 'python_model' (the pickled model file) is missing."
        )
    if conf.get("python_model_compression"):
        raise InvalidArgument(
            f"Cannot load this model: python_model_compression "
            f"{conf['python_model_compression']!r} is not supported yet."
        )
    return load_pickle(os.path.join(directory, str(pickled)))
