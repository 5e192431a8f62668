"""The fluent API: module-level functions acting on the active run.

All process state (tracking URI, active experiment, the per-thread stack of active runs, the
last run) lives in one ``FluentState`` object, so ``reset()`` puts everything back.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

from runwell import env
from runwell.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from runwell.errors import InvalidArgument, RunwellError
from runwell.store import validation
from runwell.store.gc_pause import paused_gc
from runwell.store.protocols import TrackingStore
from runwell.tracking import context
from runwell.tracking.async_logging import BatchingWriter
from runwell.tracking.client import RunwellClient, resolve_tracking_uri
from runwell.tracking.paging import collect_pages
from runwell.tracking.runs_frame import table_to_frame

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_EXPERIMENT_ID = "0"


class ActiveRun:
    """The run ``start_run`` returned; as a context manager it ends the run on exit.

    It keeps the store the run lives in and whether logging defaults to asynchronous, both
    decided when the run started: values logged to a run go to that run's store even if the
    environment changes meanwhile, and the hot path reads no environment variable.
    """

    def __init__(self, run: Run, client: RunwellClient, async_default: bool) -> None:
        self._run = run
        self.run_id = run.info.run_id
        self.client = client
        self.async_default = async_default

    @property
    def info(self) -> Any:
        return self._run.info

    @property
    def data(self) -> Any:
        return _state.client().get_run(self._run.info.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        end_run(status.name, run_id=self._run.info.run_id)


@dataclass
class FluentState:
    """Everything the fluent API remembers between calls."""

    tracking_uri: str | None = None
    experiment_id: str | None = None
    last_run_id: str | None = None
    clients: dict[tuple[str | None, str | None, str], RunwellClient] = field(default_factory=dict)
    writers: dict[int, BatchingWriter] = field(default_factory=dict)
    local: threading.local = field(default_factory=threading.local)

    def client(self) -> RunwellClient:
        # Resolving a URI touches the filesystem; the key below is what the answer depends on.
        environ = os.environ
        cache_key = (
            self.tracking_uri,
            environ.get(env.TRACKING_URI) or environ.get("MLFLOW_TRACKING_URI"),
            os.getcwd(),
        )
        found = self.clients.get(cache_key)
        if found is None:
            found = self.clients[cache_key] = RunwellClient(resolve_tracking_uri(self.tracking_uri))
        return found

    def writer(self, store: TrackingStore | None = None) -> BatchingWriter:
        store = store or self.client().store
        found = self.writers.get(id(store))
        if found is None:
            found = self.writers[id(store)] = BatchingWriter(store)
        return found

    def flush(self) -> None:
        for writer in list(self.writers.values()):
            writer.flush()

    @property
    def stack(self) -> list[ActiveRun]:
        runs: list[ActiveRun] | None = getattr(self.local, "runs", None)
        if runs is None:
            runs = self.local.runs = []
        return runs


_state = FluentState()


def reset() -> None:
    """Forget the tracking URI, experiment and active runs (runs are not ended)."""
    global _state
    _state.flush()
    _state = FluentState()


def flush_async_logging() -> None:
    """Wait until every value logged with ``synchronous=False`` is committed."""
    _state.flush()


def _is_async(synchronous: bool | None) -> bool:
    if synchronous is not None:
        return not synchronous
    return env.flag(env.ASYNC_LOGGING, False)


# ------------------------------------------------------------------ configuration


def set_tracking_uri(uri: str) -> None:
    """Point the fluent API at a store (``sqlite:///path``, ``postgresql://...`` or a dir)."""
    _state.tracking_uri = uri
    _state.experiment_id = None


def get_tracking_uri() -> str:
    return resolve_tracking_uri(_state.tracking_uri)


def _client() -> RunwellClient:
    """The client for reads and synchronous writes (after pending async writes landed)."""
    if _state.writers:
        _state.flush()
    return _state.client()


# ------------------------------------------------------------------ experiments


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active, creating it by name if it does not exist."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument("Give exactly one of 'experiment_name' and 'experiment_id'.")
    client = _client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
    else:
        assert experiment_name is not None
        found = client.get_experiment_by_name(experiment_name)
        if found is None:
            try:
                client.create_experiment(experiment_name)
            except RunwellError:
                if client.get_experiment_by_name(experiment_name) is None:
                    raise
            found = client.get_experiment_by_name(experiment_name)
        assert found is not None
        experiment = found
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidArgument(
            f"Cannot set a deleted experiment '{experiment.name}' as the active experiment. "
            "Restore it first (`runwell experiments restore "
            f"{experiment.experiment_id}`) or choose another name."
        )
    _state.experiment_id = experiment.experiment_id
    return experiment


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def search_experiments(
    view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """All matching experiments (every page), or at most ``max_results``."""
    client = _client()
    found: list[Experiment] = []
    token: str | None = None
    while True:
        want = 1000 if max_results is None else min(1000, max_results - len(found))
        page = client.search_experiments(view_type, want, filter_string, order_by, token)
        found.extend(page.items)
        token = page.token
        if token is None or (max_results is not None and len(found) >= max_results):
            return found


def _active_experiment_id() -> str:
    if _state.experiment_id is not None:
        return _state.experiment_id
    by_id = env.get(env.EXPERIMENT_ID)
    if by_id:
        return by_id
    by_name = env.get(env.EXPERIMENT_NAME)
    if by_name:
        return set_experiment(by_name).experiment_id
    return DEFAULT_EXPERIMENT_ID


# ------------------------------------------------------------------ runs


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``, and make it the active run."""
    client = _client()
    stack = _state.stack
    if stack and not nested:
        raise InvalidArgument(
            f"Run with UUID {stack[-1].info.run_id} is already active. To start a new run, "
            "first end the current run with runwell.end_run(). To start a nested run, call "
            "start_run with nested=True."
        )
    resume_id = run_id or (env.get(env.RUN_ID) if not stack else None)
    if resume_id:
        run = client.get_run(resume_id)
        if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
            raise InvalidArgument(
                f"Cannot resume run {resume_id} of experiment {run.info.experiment_id} in "
                f"experiment {experiment_id}."
            )
        if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidArgument(f"Cannot resume run {resume_id}: it is deleted.")
        client.store.update_run_info(resume_id, RunStatus.RUNNING, None, run_name)
        extra = dict(tags or {})
        if description is not None:
            extra[context.NOTE] = description
        if extra:
            client.log_batch(
                resume_id, tags=[RunTag(key=k, value=str(v)) for k, v in extra.items()]
            )
        run = client.get_run(resume_id)
    else:
        parent = parent_run_id or (stack[-1].info.run_id if stack and nested else None)
        all_tags: dict[str, Any] = context.default_tags()
        all_tags.update(tags or {})
        if parent:
            all_tags[context.PARENT_RUN_ID] = parent
        if description is not None:
            all_tags[context.NOTE] = description
        exp_id = str(experiment_id) if experiment_id is not None else _active_experiment_id()
        run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
    active = ActiveRun(run, client, env.flag(env.ASYNC_LOGGING, False))
    stack.append(active)
    _state.last_run_id = run.info.run_id
    return active


def end_run(status: str = "FINISHED", run_id: str | None = None) -> None:
    """End the active run (or the given active run) with ``status``."""
    stack = _state.stack
    if not stack:
        return
    _state.flush()
    target = run_id or stack[-1].info.run_id
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].info.run_id == target:
            del stack[index]
            break
    else:
        return
    _state.last_run_id = target
    _client().set_terminated(target, status)


def active_run() -> ActiveRun | None:
    stack = _state.stack
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the run most recently ended in this process."""
    current = active_run()
    run_id = current.info.run_id if current else _state.last_run_id
    return _client().get_run(run_id) if run_id else None


def _ensure_active_run() -> ActiveRun:
    current = active_run()
    return current if current is not None else start_run()


def _run_id(run_id: str | None = None) -> str:
    if run_id:
        return run_id
    return _ensure_active_run().run_id


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


# ------------------------------------------------------------------ logging


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    synchronous: bool | None = None,
) -> None:
    """Log one metric point to the active run (one is started if none is active)."""
    metric = Metric(
        key=key,
        value=value if type(value) is float else validation.metric_value(value, key),
        timestamp=int(time.time() * 1000) if timestamp is None else timestamp,
        step=step or 0,
    )
    stack = _state.stack
    if run_id is None or (stack and stack[-1].run_id == run_id):
        active = stack[-1] if stack else _ensure_active_run()
        asynchronous = active.async_default if synchronous is None else not synchronous
        if asynchronous:
            writer = _state.writer(active.client.store)
            writer.submit(active.run_id, metrics=(validation.metric(metric),))
        else:
            if _state.writers:
                _state.flush()
            active.client.store.log_metric(active.run_id, metric)
    elif _is_async(synchronous):
        _state.writer().submit(run_id, metrics=(validation.metric(metric),))
    else:
        _client().store.log_metric(run_id, metric)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    synchronous: bool | None = None,
) -> None:
    now = int(time.time() * 1000) if timestamp is None else timestamp
    batch = [
        validation.metric(
            Metric(key=k, value=validation.metric_value(v, k), timestamp=now, step=step or 0)
        )
        for k, v in metrics.items()
    ]
    if _is_async(synchronous):
        _state.writer().submit(_run_id(run_id), metrics=batch)
    else:
        _client().log_batch(_run_id(run_id), metrics=batch)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    return _client().log_param(_run_id(), key, value)


def log_params(
    params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    batch = [Param(key=k, value=v if isinstance(v, str) else str(v)) for k, v in params.items()]
    if _is_async(synchronous):
        for p in batch:
            validation.key(p.key, "key")
        validation.unique_param_keys(batch)
        _state.writer().submit(_run_id(run_id), params=batch)
    else:
        _client().log_batch(_run_id(run_id), params=batch)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    _client().set_tag(_run_id(), key, value)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    batch = [RunTag(key=k, value=str(v)) for k, v in tags.items()]
    _client().log_batch(_run_id(), tags=batch)


def delete_tag(key: str) -> None:
    _client().delete_tag(_run_id(), key)


def log_input(
    dataset: Dataset,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    model: Any = None,
) -> None:
    """Record that the active run used ``dataset`` (``context``: training, eval, ...)."""
    input_tags = [InputTag(key=k, value=str(v)) for k, v in (tags or {}).items()]
    if context is not None:
        input_tags.append(InputTag(key="mlflow.data.context", value=context))
    entity = dataset.to_entity() if hasattr(dataset, "to_entity") else dataset
    if not isinstance(entity, Dataset):
        raise InvalidArgument(
            f"Invalid dataset of type {type(dataset).__name__}: expected a runwell Dataset "
            "(see runwell.data.from_pandas / from_numpy)."
        )
    _client().log_inputs(_run_id(), [DatasetInput(dataset=entity, tags=tuple(input_tags))])


def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _client().log_artifact(_run_id(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    _client().log_artifacts(_run_id(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(_run_id(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_dict(_run_id(run_id), dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: Any = None, run_id: str | None = None
) -> None:
    _client().log_figure(_run_id(run_id), figure, artifact_file)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    """Log an image; either at ``artifact_file`` or, with ``key``, as ``images/<key>/step_N``."""
    if (artifact_file is None) == (key is None):
        raise InvalidArgument("Give exactly one of 'artifact_file' and 'key'.")
    if artifact_file is None:
        validation.key(key, "key")
        artifact_file = f"images/{key}/step_{step or 0}_{timestamp or int(time.time() * 1000)}.png"
    _client().log_image(_run_id(run_id), image, artifact_file)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_table(_run_id(run_id), data, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    base = _client().get_run(_run_id()).info.artifact_uri
    return f"{base}/{artifact_path.lstrip('/')}" if artifact_path else base


# ------------------------------------------------------------------ search


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: Literal["pandas"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    *,
    output_format: Literal["list"],
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> list[Run]: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]: ...


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs matching ``filter_string``, as a DataFrame (MLflow's columns) or a list."""
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(
            f"Invalid output_format '{output_format}': expected 'pandas' or 'list'."
        )
    client = _client()
    ids = [str(i) for i in experiment_ids or ()]
    for name in experiment_names or ():
        found = client.get_experiment_by_name(name)
        if found is not None:
            ids.append(found.experiment_id)
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in search_experiments(view_type=ViewType.ALL)]
        else:
            ids = [_active_experiment_id()]
    with paused_gc():
        if output_format == "list":
            return _collect_runs(client, ids, filter_string, run_view_type, max_results, order_by)
        table = client.search_run_table(ids, filter_string, run_view_type, max_results, order_by)
        return table_to_frame(table)


def _collect_runs(
    client: RunwellClient,
    ids: list[str],
    filter_string: str,
    run_view_type: ViewType | str | int,
    max_results: int,
    order_by: Sequence[str] | None,
) -> list[Run]:
    return collect_pages(
        lambda size, token: client.search_runs(
            ids, filter_string, run_view_type, size, order_by, token
        ),
        max_results,
        validation.MAX_RUNS_SEARCH_RESULTS,
    )


def _end_runs_at_exit() -> None:
    try:
        while _state.stack:
            end_run()
    except RunwellError:
        pass


atexit.register(_end_runs_at_exit)
