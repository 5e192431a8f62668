"""The ``statsmodels`` flavor: save, log and load fitted statsmodels results.

MLmodel gets two flavors, as MLflow writes them: ``statsmodels`` (``statsmodels_version``,
``data``, ``code``) and ``python_function`` with loader ``mlflow.statsmodels`` (read by this
module in runwell, see runwell.models.flavor) and ``data``. The file is the results object's
own ``save`` (a pickle; ``remove_data=True`` drops the training arrays first).

pyfunc ``predict`` on a time-series model takes one row with ``start`` and ``end`` columns (the
forecast range); any other model predicts on the input as given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import environment, trust
from runwell.models.flavor import (
    add_pyfunc_flavor,
    copy_code_paths,
    finish_model,
    prepare_directory,
)
from runwell.models.input_example import save_input_example
from runwell.models.logged import log_with
from runwell.models.model import Model, ModelInfo
from runwell.models.signature import ModelSignature, signature_from_example

FLAVOR_NAME = "statsmodels"
LOADER_MODULE = "runwell.statsmodels"
DATA_FILE = "model.statsmodels"


def save_model(
    statsmodels_model: Any,
    path: str | os.PathLike[str],
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    remove_data: bool = False,
    metadata: Mapping[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save fitted statsmodels results as a model directory MLflow and runwell both load.

    Args:
        statsmodels_model: a fitted results object (``sm.OLS(y, X).fit()``, ``AutoReg(...)
            .fit()`` ...).
        path: a new (or empty) directory.
        code_paths: files/directories copied to ``code/``.
        signature: inferred from ``input_example`` (and a prediction on it) when omitted.
        input_example: an example input (DataFrame, ndarray ...).
        pip_requirements / extra_pip_requirements: see runwell.models.environment.
        remove_data: drop the training data arrays before pickling (a smaller file; some
            results methods then stop working).
        metadata: free-form metadata recorded in MLmodel.
        mlflow_model: the Model to fill (``log_model`` passes one with its ids).
    """
    import statsmodels  # type: ignore[import-untyped]
    from statsmodels.base.model import Results  # type: ignore[import-untyped]
    from statsmodels.base.wrapper import ResultsWrapper  # type: ignore[import-untyped]

    if not isinstance(statsmodels_model, (ResultsWrapper, Results)):
        raise InvalidArgument(
            "Invalid statsmodels_model: expected fitted statsmodels results (what a model's "
            f"fit() returns), got {type(statsmodels_model).__name__}."
        )
    if signature is not None and not isinstance(signature, ModelSignature):
        raise InvalidArgument("Invalid signature: expected a ModelSignature (see infer_signature).")
    model = mlflow_model or Model()
    target = prepare_directory(path)
    code = copy_code_paths(code_paths, target)
    statsmodels_model.save(os.path.join(target, DATA_FILE), remove_data)
    if signature is None and input_example is not None:
        signature = signature_from_example(
            StatsmodelsModelWrapper(statsmodels_model).predict, input_example
        )
    if input_example is not None:
        save_input_example(model, target, input_example)
    model.signature = signature
    if metadata is not None:
        model.metadata = dict(metadata)
    packages = ["statsmodels", "numpy", "pandas", "scipy"]
    lines = environment.requirements(
        packages, pip_requirements, extra_pip_requirements, model_dir=target
    )
    env = environment.write_environment(target, lines)
    add_pyfunc_flavor(model, LOADER_MODULE, env, code=code, data=DATA_FILE)
    model.add_flavor(
        FLAVOR_NAME, statsmodels_version=statsmodels.__version__, data=DATA_FILE, code=code
    )
    finish_model(model, target)


def log_model(
    statsmodels_model: Any,
    name: str,
    code_paths: Sequence[str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: str | Sequence[str] | None = None,
    extra_pip_requirements: str | Sequence[str] | None = None,
    remove_data: bool = False,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log statsmodels results as a logged model (``models:/m-<id>``) of the active run."""
    return log_with(save_model, locals())


def _load_file(file_path: str) -> Any:
    if not os.path.isfile(file_path):
        raise InvalidArgument(f"The model file '{file_path}' is missing from the model directory.")
    trust.current().require_pickle(file_path)  # the user's own model, or an opt-in
    from statsmodels.iolib.smpickle import load_pickle  # type: ignore[import-untyped]

    return load_pickle(file_path)


def _data_file(directory: str) -> str:
    flavors = Model.load(directory).flavors
    conf = flavors.get(FLAVOR_NAME)
    if conf is None:
        raise InvalidArgument(
            f"Model at '{directory}' has no statsmodels flavor (it has {sorted(flavors)})."
        )
    return os.path.join(directory, str(conf.get("data") or DATA_FILE))


def load_model(
    model_uri: str, dst_path: str | None = None, *, allow_pickle: bool | None = None
) -> Any:
    """The fitted statsmodels results of a model (path or model URI).

    The file is a pickle: a model from a server or a registry needs ``allow_pickle=True`` (or
    RUNWELL_ALLOW_PICKLE=1), as ``runwell.pyfunc.load_model`` explains.
    """
    directory, decision = trust.fetch(model_uri, dst_path, allow_pickle=allow_pickle)
    with trust.loading(decision):
        return _load_file(_data_file(directory))


class StatsmodelsModelWrapper:
    """pyfunc implementation; the results are ``model`` (what get_raw_model reads)."""

    def __init__(self, statsmodels_model: Any) -> None:
        self.model = statsmodels_model

    def get_raw_model(self) -> Any:
        return self.model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        from statsmodels.tsa.base.tsa_model import TimeSeriesModel  # type: ignore[import-untyped]

        if not isinstance(getattr(self.model, "model", None), TimeSeriesModel):
            return self.model.predict(data)
        columns = list(getattr(data, "columns", []))
        if len(data) != 1 or "start" not in columns or "end" not in columns:
            raise InvalidArgument(
                "Invalid input for a time-series model: expected one row with columns 'start' "
                f"and 'end' (the forecast range), got {len(data)} row(s) with columns {columns}."
            )
        row = data.iloc[0]
        return self.model.predict(start=row["start"], end=row["end"])


def _load_pyfunc(path: str) -> StatsmodelsModelWrapper:
    """pyfunc loader: ``path`` is the model file (the pyfunc ``data``) or the directory."""
    file_path = path if os.path.isfile(path) else _data_file(path)
    return StatsmodelsModelWrapper(_load_file(file_path))
