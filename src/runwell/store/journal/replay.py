"""Reading an offline run back from its journal: the records folded into a Run.

Used by the offline store for reads of a run that lives only in a journal (``get_run``,
``get_metric_history``), and by sync to learn how the run was created. The fold follows the
stores' rules: a param keeps its first value, the last tag of a key wins, a key's latest
metric is its point with the greatest (step, timestamp, value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from runwell.entities import (
    DatasetInput,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
)
from runwell.store.journal.format import Kind, unpack_batch
from runwell.store.journal.journal import Journal
from runwell.wire.codec import dataset_input_from_json

RUN_NAME_TAG = "mlflow.runName"


@dataclass
class RunView:
    """Everything a journal says about its run."""

    run_id: str
    experiment_id: str = ""
    run_name: str = ""
    user_id: str = ""
    start_time: int = 0
    status: RunStatus = RunStatus.RUNNING
    end_time: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    latest: dict[str, Metric] = field(default_factory=dict)
    inputs: list[DatasetInput] = field(default_factory=list)
    created: dict[str, Any] | None = None
    seq: int = 0  # the last record folded in

    def run(self, artifact_uri: str) -> Run:
        info = RunInfo(
            run_id=self.run_id,
            experiment_id=self.experiment_id,
            run_name=self.run_name,
            user_id=self.user_id,
            status=self.status,
            start_time=self.start_time,
            end_time=self.end_time,
            artifact_uri=artifact_uri,
            lifecycle_stage=LifecycleStage.ACTIVE,
        )
        data = RunData(
            metrics=tuple(self.latest.values()),
            params=tuple(Param(key=k, value=v) for k, v in self.params.items()),
            tags=tuple(RunTag(key=k, value=v) for k, v in self.tags.items()),
        )
        return Run(info=info, data=data, inputs=RunInputs(dataset_inputs=tuple(self.inputs)))


def experiment_ref(created: dict[str, Any]) -> str:
    """The experiment id an offline run reports: the id it was given, or ``name:<name>``."""
    if created.get("experiment_id") is not None:
        return str(created["experiment_id"])
    return "name:" + str(created["experiment_name"])


def _rank(metric: Metric) -> tuple[int, int, float]:
    value = metric.value
    return (metric.step, metric.timestamp, -math.inf if math.isnan(value) else value)


def fold(journal: Journal, run_id: str, view: RunView | None = None) -> RunView:
    """The run as its journal's records leave it; ``view``: go on from an earlier fold (only
    the records appended since are read)."""
    view = view or RunView(run_id=run_id)
    for record in journal.records(after=view.seq):
        view.seq = record.seq
        if record.kind is Kind.RUN:
            created = view.created = record.json()
            view.experiment_id = experiment_ref(created)
            view.user_id = created.get("user_id") or ""
            view.start_time = int(created.get("start_time") or 0)
            view.tags.update({k: v for k, v in created.get("tags") or ()})
            view.run_name = created.get("run_name") or view.tags.get(RUN_NAME_TAG, "")
        elif record.kind is Kind.BATCH:
            _fold_batch(view, record.body)
        elif record.kind is Kind.STATUS:
            change = record.json()
            if change.get("status"):
                view.status = RunStatus.parse(change["status"])
            if change.get("end_time") is not None:
                view.end_time = int(change["end_time"])
            if change.get("run_name"):
                view.run_name = view.tags[RUN_NAME_TAG] = change["run_name"]
        elif record.kind is Kind.DELETE_TAG:
            view.tags.pop(record.json()["key"], None)
        elif record.kind is Kind.INPUTS:
            view.inputs.extend(dataset_input_from_json(d) for d in record.json()["datasets"])
    if RUN_NAME_TAG in view.tags:
        view.run_name = view.tags[RUN_NAME_TAG]
    return view


def _fold_batch(view: RunView, body: bytes) -> None:
    batch = unpack_batch(body)
    for param in batch.params:
        view.params.setdefault(param.key, param.value)
    for tag in batch.tags:
        view.tags[tag.key] = tag.value
    if not batch.index:
        return
    latest = view.latest
    for metric in batch.metrics():
        current = latest.get(metric.key)
        if current is None or _rank(metric) > _rank(current):
            latest[metric.key] = metric


def history(journal: Journal, key: str) -> list[Metric]:
    """Every point of ``key``, in history order (timestamp, step, value), duplicates once."""
    points: set[tuple[int, int, float]] = set()
    nan: set[tuple[int, int]] = set()
    for record in journal.records():
        if record.kind is not Kind.BATCH:
            continue
        batch = unpack_batch(record.body)
        if key not in batch.keys:
            continue
        wanted = batch.keys.index(key)
        for k, t, s, v in zip(
            batch.index, batch.timestamps, batch.steps, batch.values, strict=True
        ):
            if k == wanted:
                if v != v:
                    nan.add((t, s))
                else:
                    points.add((t, s, v))
    ordered = sorted([*points, *((t, s, math.nan) for t, s in nan)], key=_history_order)
    return [Metric(key=key, value=v, timestamp=t, step=s) for t, s, v in ordered]


def _history_order(point: tuple[int, int, float]) -> tuple[int, int, float]:
    t, s, v = point
    return (t, s, math.inf if math.isnan(v) else v)
