"""Entities: frozen value objects that do no I/O.

The ones users build by hand (Metric, Param, the tags, Dataset, DatasetInput, InputTag,
RegisteredModelAlias, ModelInput/ModelOutput) take MLflow's positional order as well as
keywords, so MLflow scripts' ``Metric("loss", 0.5, ts, 0)`` runs unchanged; the larger
records (runs, experiments, versions) are keyword-only.
"""

from runwell.entities.dataset import Dataset, DatasetInput, InputTag
from runwell.entities.experiment import Experiment
from runwell.entities.file_info import FileInfo
from runwell.entities.lifecycle import LifecycleStage, ViewType
from runwell.entities.logged_model import (
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
)
from runwell.entities.metric import Metric
from runwell.entities.page import Page
from runwell.entities.param import Param
from runwell.entities.run import (
    ModelInput,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)
from runwell.entities.run_status import RunStatus
from runwell.entities.run_table import RunTable
from runwell.entities.tag import ExperimentTag, RunTag

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelParam",
    "LoggedModelStatus",
    "LoggedModelTag",
    "Metric",
    "ModelInput",
    "ModelOutput",
    "Page",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTable",
    "RunTag",
    "ViewType",
]
