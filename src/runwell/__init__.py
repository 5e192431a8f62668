"""runwell: track experiments, package projects, manage models; speaks MLflow's formats.

import runwell
runwell.set_experiment("wine")
with runwell.start_run(run_name="baseline"):
    runwell.log_param("alpha", 0.5)
    runwell.log_metric("loss", 0.25, step=1)
"""

import importlib
from typing import TYPE_CHECKING, Any

from runwell import artifacts, data
from runwell._version import __version__
from runwell.entities import Experiment, Metric, Param, Run, RunStatus, RunTag, ViewType
from runwell.errors import ErrorCode, RunwellError
from runwell.tracking.client import RunwellClient
from runwell.tracking.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_run,
    delete_tag,
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    end_run,
    flush,
    flush_async_logging,
    get_experiment,
    get_experiment_by_name,
    get_run,
    get_tracking_uri,
    last_active_run,
    log_input,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    search_experiments,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from runwell.tracking.fluent_artifacts import (
    get_artifact_uri,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_table,
    log_text,
)
from runwell.tracking.fluent_registry import register_model
from runwell.tracking.fluent_search import search_runs

if TYPE_CHECKING:  # loaded on first use, by __getattr__ below
    from runwell.autologging import autolog

__all__ = [
    "ActiveRun",
    "ErrorCode",
    "Experiment",
    "Metric",
    "Param",
    "Run",
    "RunStatus",
    "RunTag",
    "RunwellClient",
    "RunwellError",
    "ViewType",
    "__version__",
    "active_run",
    "artifacts",
    "autolog",
    "create_experiment",
    "data",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "flush",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

# Model flavors and serving load heavy libraries, so `import runwell` leaves them out; they
# load on first use as attributes (`runwell.sklearn.log_model(...)`) or by `import runwell.x`.
_LAZY_MODULES = frozenset(
    {
        "autologging",
        "lightgbm",
        "models",
        "onnx",
        "projects",
        "pyfunc",
        "pytorch",
        "scoring",
        "sklearn",
        "statsmodels",
        "xgboost",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f"runwell.{name}")
    if name == "autolog":  # runwell.autolog(...): every installed library (runwell.autologging)
        return importlib.import_module("runwell.autologging").autolog
    if name == "run":  # runwell.run(uri, ...): a project run, as mlflow.run
        return importlib.import_module("runwell.projects").run
    raise AttributeError(f"module 'runwell' has no attribute {name!r}")
