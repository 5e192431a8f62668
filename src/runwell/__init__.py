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
from runwell.tracking.active_model import (
    ActiveModel,
    clear_active_model,
    create_external_model,
    get_active_model_id,
    set_active_model,
)
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
    flush_artifact_async_logging,
    flush_async_logging,
    get_experiment,
    get_experiment_by_name,
    get_registry_uri,
    get_run,
    get_tracking_uri,
    is_tracking_uri_set,
    last_active_run,
    log_input,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    search_experiments,
    set_experiment,
    set_registry_uri,
    set_system_metrics_node_id,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from runwell.tracking.fluent_artifacts import (
    get_artifact_uri,
    load_table,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_stream,
    log_table,
    log_text,
)
from runwell.tracking.fluent_experiments import (
    delete_experiment_tag,
    get_parent_run,
    restore_experiment,
    restore_run,
    set_experiment_tag,
    set_experiment_tags,
)
from runwell.tracking.fluent_io import log_inputs, log_outputs
from runwell.tracking.fluent_models import (
    delete_logged_model_tag,
    finalize_logged_model,
    get_logged_model,
    initialize_logged_model,
    last_logged_model,
    log_model_params,
    search_logged_models,
    search_model_versions,
    search_registered_models,
    set_logged_model_tags,
    set_model_version_tag,
)
from runwell.tracking.fluent_registry import register_model
from runwell.tracking.fluent_search import search_runs

# MLflow's names for the client and the error, so that `import runwell as mlflow` scripts run.
MlflowClient = RunwellClient
MlflowException = RunwellError

if TYPE_CHECKING:  # loaded on first use, by __getattr__ below
    from runwell.autologging import autolog
    from runwell.evaluation import evaluate, validate_evaluation_results
    from runwell.tracking.doctor import doctor

__all__ = [
    "ActiveModel",
    "ActiveRun",
    "ErrorCode",
    "Experiment",
    "Metric",
    "MlflowClient",
    "MlflowException",
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
    "clear_active_model",
    "create_experiment",
    "create_external_model",
    "data",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_logged_model_tag",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "doctor",
    "enable_system_metrics_logging",
    "end_run",
    "evaluate",
    "finalize_logged_model",
    "flush",
    "flush_artifact_async_logging",
    "flush_async_logging",
    "get_active_model_id",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "initialize_logged_model",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_model_params",
    "log_outputs",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "register_model",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_active_model",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_model_version_tag",
    "set_registry_uri",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "validate_evaluation_results",
]

# Model flavors and serving load heavy libraries, so `import runwell` leaves them out; they
# load on first use as attributes (`runwell.sklearn.log_model(...)`) or by `import runwell.x`.
_LAZY_MODULES = frozenset(
    {
        "autologging",
        "client",
        "exceptions",
        "lightgbm",
        "models",
        "onnx",
        "projects",
        "pyfunc",
        "pytorch",
        "scoring",
        "sklearn",
        "statsmodels",
        "types",
        "version",
        "xgboost",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f"runwell.{name}")
    if name == "autolog":  # runwell.autolog(...): every installed library (runwell.autologging)
        return importlib.import_module("runwell.autologging").autolog
    if name == "doctor":  # runwell.doctor(): versions, URIs and the SQLite library, printed
        return importlib.import_module("runwell.tracking.doctor").doctor
    if name in ("evaluate", "validate_evaluation_results"):  # runwell.evaluation (sklearn)
        return getattr(importlib.import_module("runwell.evaluation"), name)
    if name == "VERSION":  # mlflow.VERSION
        return __version__
    if name == "run":  # runwell.run(uri, ...): a project run, as mlflow.run
        return importlib.import_module("runwell.projects").run
    raise AttributeError(f"module 'runwell' has no attribute {name!r}")
