"""``get_model_dependencies``: the requirements file a model was saved with, fetched alone.

    path = runwell.pyfunc.get_model_dependencies("models:/m-abc", format="pip")
    # pip install -r <path>

Only the needed files are downloaded (MLmodel, then requirements.txt or conda.yaml), not the
model's weights. A model without requirements.txt gets one written from the ``pip`` section
of its conda.yaml, as MLflow does; the other conda dependencies are left out (logged).
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from runwell.errors import InvalidArgument, NotFound
from runwell.models.flavor import PYFUNC_FLAVOR
from runwell.models.model import Model
from runwell.models.uri import download_model_file

_logger = logging.getLogger(__name__)

REQUIREMENTS_FILE = "requirements.txt"
CONDA_FILE = "conda.yaml"
_FORMATS = ("pip", "conda")


def get_model_dependencies(model_uri: str, format: str = "pip") -> str:
    """A local path to the model's ``requirements.txt`` (``"pip"``) or ``conda.yaml``.

    Raises:
        InvalidArgument: ``format`` is neither ``"pip"`` nor ``"conda"``.
        NotFound: the model has no such file (or its conda.yaml has no pip section).
    """
    if format not in _FORMATS:
        raise InvalidArgument(f"Invalid format {format!r}: expected 'pip' or 'conda'.")
    if format == "conda":
        return _conda_file(model_uri)
    requirements = _model_file(model_uri, REQUIREMENTS_FILE)
    if requirements is not None:
        _logger.info("Install the model's dependencies with: pip install -r %s", requirements)
        return requirements
    _logger.info(
        "The model at '%s' has no %s: using the pip section of its %s (conda packages left out).",
        model_uri,
        REQUIREMENTS_FILE,
        CONDA_FILE,
    )
    return _pip_from_conda(_conda_file(model_uri))


def _model_file(model_uri: str, name: str) -> str | None:
    try:
        path = download_model_file(model_uri, name)
    except NotFound:
        return None
    return path if os.path.isfile(path) else None


def _conda_file(model_uri: str) -> str:
    env = (Model.load(model_uri).flavors.get(PYFUNC_FLAVOR) or {}).get("env")
    name = env.get("conda") if isinstance(env, dict) else env
    path = _model_file(model_uri, str(name or CONDA_FILE))
    if path is None:
        raise NotFound(f"The model at '{model_uri}' has no {name or CONDA_FILE} file.")
    return path


def _pip_from_conda(conda_path: str) -> str:
    import yaml

    with open(conda_path, encoding="utf-8") as handle:
        conda: Any = yaml.safe_load(handle) or {}
    dependencies = (conda.get("dependencies") or []) if isinstance(conda, dict) else []
    pip = next((d["pip"] for d in dependencies if isinstance(d, dict) and "pip" in d), None)
    if pip is None:
        raise NotFound(f"No pip section in the model's {conda_path}.")
    others = [str(d) for d in dependencies if not (isinstance(d, dict) and "pip" in d)]
    if others:
        _logger.warning("Conda dependencies left out of the pip requirements: %s", others)
    path = os.path.join(tempfile.mkdtemp(prefix="runwell-deps-"), REQUIREMENTS_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(str(line) for line in pip) + "\n")
    return path
