"""Run: one execution, with its info, logged data, inputs and outputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from runwell.entities.dataset import DatasetInput
from runwell.entities.lifecycle import LifecycleStage
from runwell.entities.metric import Metric
from runwell.entities.param import Param
from runwell.entities.run_status import RunStatus
from runwell.entities.tag import RunTag


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """What identifies a run and where it stands."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        """MLflow's deprecated twin of ``run_id``."""
        return self.run_id


@dataclass(frozen=True, slots=True, init=False)
class RunData:
    """Latest metric values, params and tags of a run.

    As in MLflow, ``metrics``, ``params`` and ``tags`` are dicts of key to value
    (``run.data.metrics["loss"]``); the entities themselves, with a metric's step and
    timestamp, are ``metric_list``, ``param_list`` and ``tag_list``.
    """

    # "name": what these are called in JSON (MLflow's REST shape; the CLI's --json).
    metric_list: tuple[Metric, ...] = field(metadata={"name": "metrics"})
    param_list: tuple[Param, ...] = field(metadata={"name": "params"})
    tag_list: tuple[RunTag, ...] = field(metadata={"name": "tags"})

    def __init__(
        self,
        metrics: Iterable[Metric] = (),
        params: Iterable[Param] = (),
        tags: Iterable[RunTag] = (),
    ) -> None:
        object.__setattr__(self, "metric_list", tuple(metrics))
        object.__setattr__(self, "param_list", tuple(params))
        object.__setattr__(self, "tag_list", tuple(tags))

    @property
    def metrics(self) -> dict[str, float]:
        return {m.key: m.value for m in self.metric_list}

    @property
    def params(self) -> dict[str, str]:
        return {p.key: p.value for p in self.param_list}

    @property
    def tags(self) -> dict[str, str]:
        return {t.key: t.value for t in self.tag_list}

    # The names the other entities use for the same dicts (ModelVersion.tag_dict...).
    metric_dict = metrics
    param_dict = params
    tag_dict = tags


@dataclass(frozen=True, slots=True)
class ModelInput:
    """A logged model a run consumed."""

    model_id: str


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """A logged model a run produced, at a step."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInputs:
    """Datasets and models a run consumed."""

    dataset_inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[ModelInput, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutputs:
    """Models a run produced."""

    model_outputs: tuple[ModelOutput, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """A run: info, data, inputs and outputs."""

    info: RunInfo
    data: RunData = RunData()
    inputs: RunInputs = RunInputs()
    outputs: RunOutputs = RunOutputs()
