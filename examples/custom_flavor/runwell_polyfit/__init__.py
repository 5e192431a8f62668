"""runwell_polyfit: numpy polynomial fits as runwell models (an example third-party flavor).

The model directory holds ``polynomial.json`` (the coefficients, domain and window), and the
MLmodel names this module as the python_function loader, so ``runwell.pyfunc.load_model``
serves it wherever this package is installed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from runwell.errors import InvalidArgument
from runwell.models import Model, ModelInfo, ModelSignature, environment
from runwell.models.flavor import add_pyfunc_flavor, finish_model, prepare_directory
from runwell.models.logged import log_with
from runwell.models.signature import signature_from_example
from runwell.models.uri import download_model

FLAVOR_NAME = "polyfit"
DATA_FILE = "polynomial.json"


def save_model(
    polynomial: np.polynomial.Polynomial,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save a ``numpy.polynomial.Polynomial`` as a model directory."""
    if not isinstance(polynomial, np.polynomial.Polynomial):
        raise InvalidArgument(
            f"Invalid polynomial: expected numpy.polynomial.Polynomial, got "
            f"{type(polynomial).__name__}."
        )
    model = mlflow_model or Model()
    target = prepare_directory(path)
    Path(target, DATA_FILE).write_text(
        json.dumps(
            {
                "coef": polynomial.coef.tolist(),
                "domain": polynomial.domain.tolist(),
                "window": polynomial.window.tolist(),
            }
        )
    )
    if signature is None and input_example is not None:
        signature = signature_from_example(_Wrapper(polynomial).predict, input_example)
    model.signature = signature
    lines = environment.requirements(["numpy", "runwell-polyfit"], pip_requirements, None)
    env = environment.write_environment(target, lines)
    add_pyfunc_flavor(model, __name__, env, data=DATA_FILE)
    model.add_flavor(FLAVOR_NAME, data=DATA_FILE, numpy_version=np.__version__)
    finish_model(model, target)


def log_model(
    polynomial: np.polynomial.Polynomial,
    name: str,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    tags: Mapping[str, Any] | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log the polynomial as a logged model (``models:/m-<id>``) of the active run.

    Its arguments are save_model's (bar ``path``) plus the logged model's, so runwell's
    log_with does the rest: create the logged model, save into it, upload, mark it READY.
    """
    return log_with(save_model, locals())


def load_model(model_uri: str) -> np.polynomial.Polynomial:
    """The polynomial saved at ``model_uri`` (a path or any model URI)."""
    local = download_model(model_uri)
    conf = Model.load(local).flavors.get(FLAVOR_NAME)
    if conf is None:
        raise InvalidArgument(f"Model '{model_uri}' has no '{FLAVOR_NAME}' flavor.")
    return _read(os.path.join(local, conf["data"]))


def _read(path: str) -> np.polynomial.Polynomial:
    saved = json.loads(Path(path).read_text())
    return np.polynomial.Polynomial(saved["coef"], domain=saved["domain"], window=saved["window"])


class _Wrapper:
    """pyfunc view: the polynomial evaluated on a 1-D input (array, list or one column)."""

    def __init__(self, polynomial: np.polynomial.Polynomial) -> None:
        self.model = polynomial

    def get_raw_model(self) -> np.polynomial.Polynomial:
        return self.model

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        values = np.asarray(data, dtype=float)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise InvalidArgument(
                f"polyfit models take one input column; got an input of shape {values.shape}."
            )
        return self.model(values)


def _load_pyfunc(path: str) -> _Wrapper:
    """pyfunc loader: ``path`` is the flavor's data file."""
    return _Wrapper(_read(path))
