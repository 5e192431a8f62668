"""The fluent API: module-level functions acting on the active run.

All process state (tracking URI, active experiment, the per-thread stack of active runs, the
last run) lives in one ``FluentState`` object, so ``reset()`` puts everything back.

Logging to a tracking server is batched in the background (``async_logging`` says how and when
values are delivered); ``flush()`` delivers everything and raises what the server refused, and
every read through this module flushes first.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

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
from runwell.errors import InvalidArgument, RunwellError, Unavailable
from runwell.store import validation
from runwell.tracking import async_logging, context, run_companions
from runwell.tracking.client import (
    RunwellClient,
    chosen_registry_uri,
    resolve_registry_uri,
    resolve_tracking_uri,
    set_default_registry_uri,
    set_default_tracking_uri,
)

if TYPE_CHECKING:
    pass

DEFAULT_EXPERIMENT_ID = "0"
_log = logging.getLogger(__name__)


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
        # Background work tied to the run (system metrics, context files); end_run stops it.
        self.companions: list[run_companions.Companion] = []

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
    last_run_id: str | Callable[[], str] | None = None  # a callable: autolog's deferred run
    last_model_id: str | None = None  # fluent_models.last_logged_model
    system_metrics: bool | None = None  # enable/disable_system_metrics_logging()
    clients: dict[tuple[str | None, str | None, str | None, str], RunwellClient] = field(
        default_factory=dict
    )
    local: threading.local = field(default_factory=threading.local)

    def client(self) -> RunwellClient:
        # Resolving a URI touches the filesystem; the key below is what the answer depends on.
        environ = os.environ
        cache_key = (
            self.tracking_uri,
            environ.get(env.TRACKING_URI) or environ.get("MLFLOW_TRACKING_URI"),
            chosen_registry_uri(),
            os.getcwd(),
        )
        found = self.clients.get(cache_key)
        if found is None:
            found = self.clients[cache_key] = RunwellClient(resolve_tracking_uri(self.tracking_uri))
        return found

    @property
    def stack(self) -> list[ActiveRun]:
        runs: list[ActiveRun] | None = getattr(self.local, "runs", None)
        if runs is None:
            runs = self.local.runs = []
        return runs


_state = FluentState()


def reset() -> None:
    """Forget the tracking URI, experiment and active runs (runs are not ended).

    Queued values are delivered first, and the delivery threads stop.
    """
    global _state
    _state = FluentState()
    set_default_tracking_uri(None)
    set_default_registry_uri(None)
    async_logging.close_writers()


def flush() -> None:
    """Deliver every queued value to its store; raise the first one the server refused.

    Logging to a tracking server is batched in the background; ``end_run`` and interpreter
    exit flush too, and so does every read through this module.
    """
    async_logging.flush_all()


def flush_async_logging() -> None:
    """Wait until every value logged with ``synchronous=False`` is committed (``flush``)."""
    async_logging.flush_all()


def flush_artifact_async_logging() -> None:
    """Wait until artifacts logged in the background are stored (``flush``; MLflow's name)."""
    async_logging.flush_all()


def _batching(synchronous: bool | None, client: RunwellClient) -> bool:
    if synchronous is not None:
        return not synchronous
    stack = _state.stack
    return stack[-1].async_default if stack else client.batches_by_default


def _writer(client: RunwellClient) -> async_logging.BatchingWriter:
    return async_logging.writer_for(client.store)


# ------------------------------------------------------------------ configuration


def set_tracking_uri(uri: str) -> None:
    """Point the fluent API at a store (``sqlite:///path``, ``postgresql://...`` or a dir)."""
    _state.tracking_uri = uri
    set_default_tracking_uri(uri)
    _state.experiment_id = None


def get_tracking_uri() -> str:
    return resolve_tracking_uri(_state.tracking_uri)


def is_tracking_uri_set() -> bool:
    """Whether a tracking URI was chosen: ``set_tracking_uri`` or RUNWELL_TRACKING_URI
    (MLFLOW_TRACKING_URI); False means the default, ``./runwell.db``."""
    return bool(_state.tracking_uri or env.get(env.TRACKING_URI))


def set_registry_uri(uri: str) -> None:
    """Keep registered models in another store than runs (``sqlite:///...``, a server ...);
    clients made from now on without a ``registry_uri`` use it too."""
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidArgument(f"Invalid registry URI {uri!r}: expected a non-empty string.")
    set_default_registry_uri(uri)


def get_registry_uri() -> str:
    """The registry's URI: ``set_registry_uri``'s, else RUNWELL_REGISTRY_URI, else the
    tracking URI."""
    return resolve_registry_uri(None, get_tracking_uri())


def _client() -> RunwellClient:
    """The client for reads and synchronous writes (after pending async writes landed)."""
    async_logging.flush_all()
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


def current_experiment_id() -> str:
    """The experiment new things land in: the active run's, else the active experiment."""
    active = active_run()
    return active.info.experiment_id if active is not None else _active_experiment_id()


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


def _offline_experiment_id(client: RunwellClient, experiment_id: str | None) -> str:
    """The experiment of a run started offline because the server was unreachable: as given,
    as set earlier, or by the name in the environment (resolved by ``runwell sync``)."""
    if experiment_id is not None:
        return str(experiment_id)
    if _state.experiment_id is not None:
        return _state.experiment_id
    by_name = env.get(env.EXPERIMENT_NAME)
    if by_name and not env.get(env.EXPERIMENT_ID):
        found = client.get_experiment_by_name(by_name)
        if found is not None:
            return found.experiment_id
    return env.get(env.EXPERIMENT_ID) or DEFAULT_EXPERIMENT_ID


def _create_run(
    client: RunwellClient,
    experiment_id: str | None,
    tags: Mapping[str, Any],
    run_name: str | None,
    start_time: int | None = None,
) -> tuple[RunwellClient, Run]:
    """A new run in the given (or active) experiment, and the client it lives in: an offline
    one when the server cannot be reached."""
    try:
        exp_id = str(experiment_id) if experiment_id is not None else _active_experiment_id()
        return client, client.create_run(exp_id, start_time, tags=tags, run_name=run_name)
    except Unavailable as exc:
        if not client.is_remote or client.offline:
            raise
        client = RunwellClient(client.tracking_uri, offline=True)
        exp_id = _offline_experiment_id(client, experiment_id)
        run = client.create_run(exp_id, start_time, tags=tags, run_name=run_name)
        _log.warning(
            "Cannot reach the tracking server at %s (%s): run %s is logged to a local "
            "journal instead; `runwell sync` uploads it once the server is back.",
            client.tracking_uri,
            exc,
            run.info.run_id,
        )
        return client, run


def record_run(
    experiment_id: str | None,
    tags: Mapping[str, Any],
    start_time: int,
    end_time: int,
    status: str = "FINISHED",
) -> tuple[RunwellClient, Run]:
    """A top-level run made after the fact, for work timed elsewhere (autolog's deferred runs):
    the tags and context files ``start_run`` would give it, its own start and end times and
    ``status``; never the active run. Returns its client (offline when the server is down)."""
    all_tags: dict[str, Any] = context.default_tags()
    all_tags.update(tags)
    client, run = _create_run(_state.client(), experiment_id, all_tags, None, start_time)
    companions = run_companions.start(
        client, run, asynchronous=False, capture_context=True, system_metrics=None, resumed=False
    )
    run_companions.stop(companions)
    client.set_terminated(run.info.run_id, status, end_time)
    return client, run


def pinned_experiment_id() -> str | None:
    """The experiment ``set_experiment`` chose in this process, if any (no I/O)."""
    return _state.experiment_id


def system_metrics_wanted() -> bool:
    """Whether a run started now without ``log_system_metrics`` would sample system metrics."""
    return run_companions.system_metrics_settings(None, _state.system_metrics) is not None


def set_last_run(resolve: Callable[[], str]) -> None:
    """Make ``last_active_run()`` answer the run ``resolve()`` names (it may wait for it)."""
    _state.last_run_id = resolve


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
    """Start a new run, or resume ``run_id``, and make it the active run.

    A new top-level run records where it comes from (``context``, ``context_files``);
    ``log_system_metrics=True`` samples the host into ``system/*`` metrics until it ends.
    """
    # Queued values land first (order), but not background work such as autolog's model
    # upload: a new run need not wait for the last one's files.
    async_logging.flush_all(background=False)
    client = _state.client()
    stack = _state.stack
    system_metrics = run_companions.system_metrics_settings(
        log_system_metrics, _state.system_metrics
    )
    capture_context = False
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
        capture_context = not parent  # nested runs share their parent's files
        if description is not None:
            all_tags[context.NOTE] = description
        client, run = _create_run(client, experiment_id, all_tags, run_name)
    active = ActiveRun(run, client, client.batches_by_default)
    stack.append(active)
    _state.last_run_id = run.info.run_id
    active.companions = run_companions.start(
        client,
        run,
        asynchronous=active.async_default,
        capture_context=capture_context,
        system_metrics=system_metrics,
        resumed=bool(resume_id),
    )
    return active


def end_run(status: str = "FINISHED", run_id: str | None = None) -> None:
    """End the active run (or the given active run) with ``status``.

    Queued values are delivered first. If the server refused one, the run still ends (FAILED
    rather than FINISHED, as if the refusal had been raised inside the run) and the refusal is
    raised.
    """
    stack = _state.stack
    if not stack:
        return
    target = run_id or stack[-1].info.run_id
    for active in stack:
        if active.info.run_id == target:  # their last values go out with the flush below
            run_companions.stop(active.companions)
    refused: RunwellError | None = None
    try:
        # Everything the run logged is stored and readable when end_run returns: its queued
        # values and its background work (autolog's params, child runs and models, READY).
        async_logging.flush_all()
    except RunwellError as exc:
        refused = exc
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].info.run_id == target:
            ended = stack.pop(index)
            break
    else:
        if refused is not None:
            raise refused
        return
    _state.last_run_id = target
    if refused is not None and RunStatus.parse(status) is RunStatus.FINISHED:
        status = RunStatus.FAILED.name
    ended.client.set_terminated(target, status)
    if refused is not None:
        raise refused


def enable_system_metrics_logging() -> None:
    """Log system metrics (``system/*``) for every run started from now on."""
    _state.system_metrics = True


def disable_system_metrics_logging() -> None:
    """Stop logging system metrics for runs started from now on (``start_run`` can still)."""
    _state.system_metrics = False


def _system_metrics_setting(name: str, value: object, valid: bool, expected: str) -> None:
    """Set (None: unset) the environment variable the monitor of each new run reads."""
    if value is None:
        env.unset(name)
    elif not valid:
        raise InvalidArgument(f"Invalid {value!r} for {name}: expected {expected}.")
    else:
        os.environ[name] = str(value)  # read before its MLFLOW_* twin


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Seconds between system metrics samples of runs started from now on (None: 10)."""
    ok = isinstance(interval, (int, float)) and not isinstance(interval, bool) and 0 < interval
    ok = ok and interval != float("inf")
    _system_metrics_setting(
        env.SYSTEM_METRICS_INTERVAL, interval, ok, "a finite number of seconds greater than 0"
    )


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """How many samples are averaged into each logged system metric point (None: 1)."""
    ok = isinstance(samples, int) and not isinstance(samples, bool) and samples >= 1
    _system_metrics_setting(env.SYSTEM_METRICS_SAMPLES, samples, ok, "a whole number >= 1")


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Log system metrics as ``system/<node_id>/...`` (several machines in one run)."""
    ok = isinstance(node_id, str) and bool(node_id) and "/" not in node_id
    _system_metrics_setting(
        env.SYSTEM_METRICS_NODE_ID, node_id, ok, "a non-empty string without '/'"
    )


def active_run() -> ActiveRun | None:
    stack = _state.stack
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the run most recently ended in this process."""
    current = active_run()
    last = _state.last_run_id
    run_id = current.info.run_id if current else (last() if callable(last) else last)
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
    """Log one metric point to the active run (one is started if none is active).

    Against a tracking server the point is checked here and delivered in the background
    (``synchronous=True``: stored before this returns).
    """
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
            writer = async_logging.writer_for(active.client.store)
            writer.submit_metric(active.run_id, validation.metric(metric))
        else:
            async_logging.flush_all()
            active.client.store.log_metric(active.run_id, metric)
        return
    client = _client()
    if _batching(synchronous, client):
        _writer(client).submit_metric(run_id, validation.metric(metric))
    else:
        client.store.log_metric(run_id, metric)


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
    _log_batch(run_id, synchronous, metrics=batch)


def _log_batch(
    run_id: str | None,
    synchronous: bool | None,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
) -> None:
    """Checked values to the run, queued or written as the run's batching default says."""
    target = _run_id(run_id)
    stack = _state.stack
    client = stack[-1].client if stack and stack[-1].run_id == target else _state.client()
    if _batching(synchronous, client):
        _writer(client).submit(target, metrics, params, tags)
    else:
        async_logging.flush_all()
        client.log_batch(target, metrics, params, tags, synchronous=True)


def _checked_keys(items: Sequence[Param] | Sequence[RunTag]) -> None:
    for item in items:
        validation.key(item.key, "key")


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    param = Param(key=key, value=value if isinstance(value, str) else str(value))
    _checked_keys([param])
    _log_batch(None, synchronous, params=[param])
    return value


def log_params(
    params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    batch = [Param(key=k, value=v if isinstance(v, str) else str(v)) for k, v in params.items()]
    _checked_keys(batch)
    validation.unique_param_keys(batch)
    _log_batch(run_id, synchronous, params=batch)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    tag = RunTag(key=key, value=str(value))
    _checked_keys([tag])
    _log_batch(None, synchronous, tags=[tag])


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    batch = [RunTag(key=k, value=str(v)) for k, v in tags.items()]
    _checked_keys(batch)
    _log_batch(None, synchronous, tags=batch)


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


def _end_runs_at_exit() -> None:
    """End every active run; a refusal is raised (printed by atexit) once all have ended."""
    refused: RunwellError | None = None
    while _state.stack:
        try:
            end_run()  # pops the run even when it raises
        except RunwellError as exc:
            refused = refused or exc
    # The runs' last writes are in: leave each SQLite file this process wrote self-contained.
    checkpoints = sys.modules.get("runwell.store.sql.checkpointer")
    if checkpoints is not None:
        checkpoints.finish_all()
    if refused is not None:
        raise refused


atexit.register(_end_runs_at_exit)
