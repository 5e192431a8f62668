"""The ``sklearn`` flavor: save, log and load scikit-learn estimators.

MLmodel gets two flavors, as MLflow writes them: ``sklearn`` (``pickled_model``,
``serialization_format``, ``sklearn_version``, ``code``, ``skops_trusted_types``) and
``python_function`` with loader ``mlflow.sklearn`` (read by this module in runwell, see
runwell.models.flavor), ``model_path`` and ``predict_fn``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment, trust
from runwell.models.flavor import (
    PYFUNC_FLAVOR,
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

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "runwell.sklearn"
_PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str] | None = None,
    serialization_format: str = serialization.SKOPS,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: Mapping[str, Any] | None = None,
    skops_trusted_types: Sequence[str] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save a scikit-learn estimator as a model directory MLflow and runwell both load.

    Args:
        sk_model: a fitted estimator.
        path: a new (or empty) directory.
        code_paths: files/directories copied to ``code/``.
        serialization_format: ``skops`` (default; falls back to cloudpickle, logged, when the
            estimator does not allow it), ``cloudpickle`` or ``pickle``.
        signature: inferred from ``input_example`` (and a prediction on it) when omitted.
        input_example: an example input (DataFrame, ndarray, ...).
        pip_requirements / extra_pip_requirements: see runwell.models.environment.
        pyfunc_predict_fn: the method pyfunc's ``predict`` calls (``predict``,
            ``predict_proba`` ...).
        metadata: free-form metadata recorded in MLmodel.
        skops_trusted_types: extra types (``module.Class``) the skops file needs, recorded in
            MLmodel; loading trusts them for your own models (see runwell.models.trust).
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
    """
    import sklearn

    serialization.check_format(serialization_format)
    if pyfunc_predict_fn not in _PREDICT_FNS:
        raise InvalidArgument(
            f"Invalid pyfunc_predict_fn {pyfunc_predict_fn!r}: expected one of "
            f"{', '.join(_PREDICT_FNS)}."
        )
    if not callable(getattr(sk_model, pyfunc_predict_fn, None)):
        raise InvalidArgument(
            f"Invalid sk_model: {type(sk_model).__name__} has no {pyfunc_predict_fn}() method."
        )
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    model = mlflow_model or Model()
    target = prepare_directory(path)
    code = copy_code_paths(code_paths, target)
    trusted = list(skops_trusted_types or [])
    fmt, file_name = serialization.dump(sk_model, target, serialization_format, trusted)
    if signature is None and input_example is not None:
        signature = signature_from_example(getattr(sk_model, pyfunc_predict_fn), input_example)
    if input_example is not None:
        save_input_example(model, target, input_example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    packages = [
        "scikit-learn",
        "numpy",
        "scipy",
        "skops" if fmt == serialization.SKOPS else "cloudpickle",
    ]
    if fmt == serialization.PICKLE:
        packages.pop()
    lines = environment.requirements(
        packages, pip_requirements, extra_pip_requirements, model_dir=target
    )
    env = environment.write_environment(target, lines)
    add_pyfunc_flavor(model, LOADER_MODULE, env, model_path=file_name, predict_fn=pyfunc_predict_fn)
    model.add_flavor(
        FLAVOR_NAME,
        pickled_model=file_name,
        sklearn_version=sklearn.__version__,
        serialization_format=fmt,
        code=code,
        skops_trusted_types=trusted or None,
    )
    finish_model(model, target)


def log_model(
    sk_model: Any,
    name: str,
    code_paths: Sequence[str] | None = None,
    serialization_format: str = serialization.SKOPS,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: Mapping[str, Any] | None = None,
    skops_trusted_types: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log an estimator as a logged model (``models:/m-<id>``) of the active run."""
    return log_with(save_model, locals())


def _flavor_conf(directory: str) -> dict[str, Any]:
    return flavor_conf(directory, FLAVOR_NAME)


def _load_estimator(directory: str, conf: Mapping[str, Any]) -> Any:
    file_name = conf.get("pickled_model")
    if not file_name:
        raise InvalidArgument("Invalid sklearn flavor: 'pickled_model' is missing.")
    return serialization.load(
        os.path.join(directory, str(file_name)),
        str(conf.get("serialization_format") or serialization.PICKLE),
        conf.get("skops_trusted_types"),
    )


def load_model(
    model_uri: str,
    dst_path: str | None = None,
    *,
    allow_pickle: bool | None = None,
    skops_trusted_types: Sequence[str] | None = None,
) -> Any:
    """The scikit-learn estimator of a model (path or model URI).

    ``allow_pickle`` and ``skops_trusted_types``: as ``runwell.pyfunc.load_model`` (a
    pickled estimator from a server or a registry needs ``allow_pickle=True``).
    """
    directory, decision = trust.fetch(
        model_uri, dst_path, allow_pickle=allow_pickle, skops_trusted_types=skops_trusted_types
    )
    with trust.loading(decision):
        return _load_estimator(directory, _flavor_conf(directory))


class SklearnModelWrapper:
    """pyfunc implementation: the estimator's prediction methods, each taking ``params``."""

    def __init__(self, sklearn_model: Any) -> None:
        self.sklearn_model = sklearn_model
        self._feature_names: list[str] | None = None

    def get_raw_model(self) -> Any:
        return self.sklearn_model

    def prepare_for_serving(self) -> None:
        """Serve DataFrames whose columns are exactly the fitted feature names as arrays.

        scikit-learn re-validates a DataFrame on every call (about 0.6 ms of a 1-row request);
        an array of the same columns in the same order predicts identically, but scikit-learn
        warns that it has no feature names. A scoring server has already checked the columns
        against the signature, so it turns this on and silences that one warning in its own
        process; scripts calling ``predict`` keep the DataFrame path and the warning.
        """
        names = getattr(self.sklearn_model, "feature_names_in_", None)
        if names is None:
            return
        self._feature_names = [str(n) for n in names]
        warnings.filterwarnings(
            "ignore", message="X does not have valid feature names", category=UserWarning
        )

    def _input(self, data: Any) -> Any:
        if self._feature_names is None:
            return data
        columns = getattr(data, "columns", None)
        if columns is None or [str(c) for c in columns] != self._feature_names:
            return data
        array = data.to_numpy()
        return array if array.dtype.kind in "fiub" else data

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict(self._input(data))

    def predict_proba(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict_proba(self._input(data))

    def predict_log_proba(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict_log_proba(self._input(data))

    def predict_joint_log_proba(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict_joint_log_proba(self._input(data))

    def score(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.score(self._input(data))


def _load_pyfunc(path: str) -> SklearnModelWrapper:
    """pyfunc loader: ``path`` is the model directory (or, in older models, the model file)."""
    if os.path.isfile(path):
        directory = os.path.dirname(path)
        try:
            conf: Mapping[str, Any] = _flavor_conf(directory)
        except InvalidArgument:
            conf = {"pickled_model": os.path.basename(path), "serialization_format": "pickle"}
        return SklearnModelWrapper(_load_estimator(directory, conf))
    conf = _flavor_conf(path)
    if PYFUNC_FLAVOR not in Model.load(path).flavors:
        raise InvalidArgument(f"Model at '{path}' has no python_function flavor.")
    return SklearnModelWrapper(_load_estimator(path, conf))
