"""``save_model``/``log_model`` for custom PythonModels (the python_function flavor alone).

The directory holds ``python_model.pkl`` (cloudpickle), ``artifacts/`` (copies of the
``artifacts={name: uri}`` the model reads in ``load_context``), ``code/`` (``code_paths``),
the environment files and MLmodel; reference §1 and §2.1.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment
from runwell.models.flavor import (
    add_pyfunc_flavor,
    copy_code_paths,
    finish_model,
    prepare_directory,
)
from runwell.models.inferred_requirements import modules_of_object
from runwell.models.input_example import save_input_example, split_example
from runwell.models.logged import log_with
from runwell.models.model import Model, ModelInfo
from runwell.models.signature import ModelSignature, infer_schema
from runwell.pyfunc.model import (
    ARTIFACTS_DIR,
    PYTHON_MODEL_FILE,
    PythonModelContext,
    _load_from_code,
)

_logger = logging.getLogger(__name__)
LOADER_MODULE = "runwell.pyfunc.model"


def _copy_artifacts(artifacts: Mapping[str, str], path: str) -> dict[str, dict[str, str]]:
    """Copy each artifact into ``<path>/artifacts``; the flavor's ``artifacts`` mapping."""
    from runwell.artifacts import download_artifacts
    from runwell.store.uri import local_path

    target = Path(path, ARTIFACTS_DIR)
    target.mkdir()
    out: dict[str, dict[str, str]] = {}
    for name, uri in artifacts.items():
        if not isinstance(uri, str):
            raise InvalidArgument(f"Invalid artifact {name!r}: expected a path or URI string.")
        local = local_path(uri)
        if local is not None:
            source = Path(local)
            if not source.exists():
                raise InvalidArgument(f"Invalid artifact {name!r}: '{uri}' does not exist.")
            destination = target / source.name
            if source.is_dir():
                shutil.copytree(source, destination)
            else:
                shutil.copy2(source, destination)
        else:
            staging = target / f".{name}"
            downloaded = Path(download_artifacts(artifact_uri=uri, dst_path=str(staging)))
            destination = target / downloaded.name
            downloaded.rename(destination)
            shutil.rmtree(staging, ignore_errors=True)
        out[name] = {"path": f"{ARTIFACTS_DIR}/{destination.name}", "uri": uri}
    return out


def _model_code_file(python_model: Any) -> str | None:
    """The absolute path of a models-from-code file, or None when python_model is an object."""
    if not isinstance(python_model, (str, os.PathLike)):
        return None
    path = os.path.abspath(os.fspath(python_model))
    if not path.endswith(".py") or not os.path.isfile(path):
        raise InvalidArgument(
            f"Invalid python_model '{os.fspath(python_model)}': a path must name an existing "
            ".py file that calls runwell.models.set_model(model)."
        )
    return path


def _infer_from_example(
    python_model: Any, example: Any, path: str, artifacts: Mapping[str, Any], config: Any
) -> ModelSignature:
    """Inputs from the example; outputs from predicting on it when that works."""
    from runwell.models.signature import infer_param_schema
    from runwell.pyfunc.model import PythonModelWrapper

    value, params = split_example(example)
    inputs = infer_schema(value)
    param_schema = infer_param_schema(params) if params else None
    outputs = None
    try:
        context = PythonModelContext(
            {n: os.path.join(path, info["path"]) for n, info in artifacts.items()}, config
        )
        python_model.load_context(context)
        prediction = PythonModelWrapper(python_model, context).predict(value, params)
        outputs = infer_schema(prediction) if prediction is not None else None
    except Exception as exc:  # the example need not be predictable; say why and go on
        _logger.warning("Could not infer the output schema from the input example: %s", exc)
    return ModelSignature(inputs, outputs, param_schema)


def save_model(
    path: str | os.PathLike[str],
    python_model: Any = None,
    artifacts: Mapping[str, str] | None = None,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save a PythonModel as a model directory MLflow and runwell both load.

    Args:
        path: a new (or empty) directory.
        python_model: a ``runwell.pyfunc.PythonModel`` instance (pickled with cloudpickle), or
            the path of a ``.py`` file that builds the model and calls
            ``runwell.models.set_model`` (models from code: the file is copied, not pickled).
        artifacts: ``{name: path or URI}`` copied into the model; ``context.artifacts[name]``
            gives the copy's local path at load time.
        code_paths: files/directories copied to ``code/`` and put on ``sys.path`` on load.
        signature: the model's signature; inferred from ``input_example`` when omitted.
        input_example: a DataFrame, ndarray, dict, list or value, or ``(example, params)``.
        pip_requirements: the full requirement list (or a requirements file path).
        extra_pip_requirements: requirements added to the inferred ones.
        metadata: free-form metadata recorded in MLmodel.
        model_config: the flavor's ``config``, given to ``load_context`` as
            ``context.model_config``.
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
    """
    import cloudpickle  # type: ignore[import-untyped]

    code_file = _model_code_file(python_model)
    if code_file is not None:  # models from code: the file is the model, run again on load
        python_model = _load_from_code(os.path.dirname(code_file), code_file)
    elif python_model is None or not callable(getattr(python_model, "predict", None)):
        raise InvalidArgument(
            "Invalid python_model: expected a runwell.pyfunc.PythonModel instance with a "
            "predict method, or the path of a .py file that calls runwell.models.set_model."
        )
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    model = mlflow_model or Model()
    target = prepare_directory(path)
    artifact_conf = _copy_artifacts(artifacts, target) if artifacts else {}
    code = copy_code_paths(code_paths, target)
    model_file: dict[str, Any] = {}
    if code_file is not None:
        shutil.copy2(code_file, os.path.join(target, os.path.basename(code_file)))
        model_file["model_code_path"] = os.path.basename(code_file)
    else:
        with open(os.path.join(target, PYTHON_MODEL_FILE), "wb") as handle:
            cloudpickle.dump(python_model, handle)
        model_file["python_model"] = PYTHON_MODEL_FILE
    if signature is None and input_example is not None:
        signature = _infer_from_example(
            python_model, input_example, target, artifact_conf, model_config
        )
    if input_example is not None:
        save_input_example(model, target, input_example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    lines = environment.requirements(
        ["cloudpickle", "pandas"],
        pip_requirements,
        extra_pip_requirements,
        model_dir=target,
        modules=modules_of_object(python_model),
    )
    env = environment.write_environment(target, lines)
    extra: dict[str, Any] = {}
    if artifact_conf:
        extra["artifacts"] = artifact_conf
    if model_config:
        extra["config"] = dict(model_config)
    add_pyfunc_flavor(
        model,
        LOADER_MODULE,
        env,
        code=code,
        cloudpickle_version=cloudpickle.__version__,
        streamable=False,
        **model_file,
        **extra,
    )
    finish_model(model, target)


def log_model(
    name: str,
    python_model: Any = None,
    artifacts: Mapping[str, str] | None = None,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log a PythonModel as a logged model (``models:/m-<id>``) of the active run.

    Takes ``save_model``'s arguments, plus the logged model's ``tags``, ``params`` and
    ``model_type``; returns a ModelInfo whose ``model_uri`` loads it back.
    """
    return log_with(save_model, locals())
