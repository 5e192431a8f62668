"""RunwellClient: every tracking operation with explicit ids; no global state.

The fluent API (``runwell.start_run`` ...) keeps the active run and delegates here, and this
client delegates to the TrackingStore picked by the tracking URI.

Against a tracking server, ``log_metric``/``log_param``/``set_tag``/``log_batch`` queue their
values for background delivery unless ``synchronous=True`` (see ``async_logging``); reads of
runs and synchronous writes flush the queue first, and ``flush()`` delivers and raises what the
server refused.
"""

from __future__ import annotations

import json
import os
import posixpath
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from runwell import env
from runwell.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    FileInfo,
    Metric,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTable,
    RunTag,
    ViewType,
)
from runwell.errors import InvalidArgument
from runwell.store import uri as uris
from runwell.store import validation
from runwell.store.artifacts.local import check_relative_path
from runwell.store.protocols import ArtifactRepo, TrackingStore
from runwell.tracking import artifact_formats, async_logging, tables
from runwell.tracking.logged_models_client import LoggedModelClientMixin
from runwell.tracking.registry_client import RegistryClientMixin

LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"


# What the fluent ``set_tracking_uri`` / ``set_registry_uri`` chose: a ``RunwellClient()`` made
# without a URI follows it, as MLflow's ``MlflowClient()`` follows ``mlflow.set_tracking_uri``.
_chosen_uri: list[str | None] = [None]
_chosen_registry_uri: list[str | None] = [None]


def set_default_tracking_uri(uri: str | None) -> None:
    """The URI clients made without one use (None: back to the environment's default)."""
    _chosen_uri[0] = uri


def set_default_registry_uri(uri: str | None) -> None:
    """The registry URI clients made without one use (None: the environment's, else the
    tracking URI)."""
    _chosen_registry_uri[0] = uri


def chosen_registry_uri() -> str | None:
    """The registry URI chosen for this process, if any: ``set_registry_uri`` or
    RUNWELL_REGISTRY_URI (MLFLOW_REGISTRY_URI)."""
    return _chosen_registry_uri[0] or env.get(env.REGISTRY_URI)


def resolve_registry_uri(uri: str | None, tracking_uri: str) -> str:
    """An explicit registry URI, else the chosen one, else the tracking URI (one database
    holds both); local paths are read as tracking URIs are."""
    chosen = uri or chosen_registry_uri()
    return resolve_tracking_uri(chosen) if chosen else tracking_uri


def resolve_tracking_uri(uri: str | None = None) -> str:
    """An explicit URI, else the one ``runwell.set_tracking_uri`` chose, else
    RUNWELL_TRACKING_URI, else ``sqlite:///<cwd>/runwell.db``.

    Bare paths become SQLite files; relative SQLite paths are made absolute so that a later
    ``chdir`` cannot split one store into two.
    """
    chosen = uri or _chosen_uri[0] or env.get(env.TRACKING_URI) or uris.default_tracking_uri()
    if "://" not in chosen:
        path = Path(chosen)
        if path.suffix != ".db":
            path = path / "runwell.db"
        return "sqlite:///" + str(path.resolve())
    if chosen.startswith("sqlite:///") and not chosen.startswith("sqlite:////"):
        relative = chosen[len("sqlite:///") :]
        if relative and not relative.startswith(":memory:"):
            return "sqlite:///" + str(Path(relative).resolve())
    return chosen


def _now() -> int:
    return int(time.time() * 1000)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class RunwellClient(LoggedModelClientMixin, RegistryClientMixin):
    """A client of one tracking store, addressed by URI."""

    def __init__(
        self,
        tracking_uri: str | None = None,
        registry_uri: str | None = None,
        *,
        offline: bool | None = None,
    ) -> None:
        self.tracking_uri = resolve_tracking_uri(tracking_uri)
        self.registry_uri = resolve_registry_uri(registry_uri, self.tracking_uri)
        self.is_remote = uris.scheme_of(self.tracking_uri) in ("http", "https")
        # Offline (RUNWELL_MODE=offline unless ``offline`` says): runs live in local journals
        # until `runwell sync` uploads them to the server at ``tracking_uri``.
        self.offline = env.offline() if offline is None else offline
        self._store: TrackingStore | None = None

    @property
    def store(self) -> TrackingStore:
        if self._store is None:
            if self.offline:
                self._store = uris.offline_store(self.tracking_uri)
            else:
                self._store = uris.tracking_store(self.tracking_uri, env.get(env.ARTIFACT_ROOT))
        return self._store

    # ---------------------------------------------------------------- batching

    @property
    def batches_by_default(self) -> bool:
        """Whether logging calls queue for background delivery unless ``synchronous=True``.

        On for tracking servers and offline journals, off for local stores;
        RUNWELL_ENABLE_ASYNC_LOGGING overrides.
        """
        return env.flag(env.ASYNC_LOGGING, self.is_remote or self.offline)

    def _batching(self, synchronous: bool | None) -> bool:
        return self.batches_by_default if synchronous is None else not synchronous

    def flush(self) -> None:
        """Deliver every value queued for this client's store; raise what the server refused."""
        writer = async_logging.existing_writer(self.store)
        if writer is not None:
            writer.flush()

    def _flushed(self) -> TrackingStore:
        """The store, once queued values landed (reads see their own writes, order is kept)."""
        store = self.store
        writer = async_logging.existing_writer(store)
        if writer is not None and writer.pending:
            writer.flush()
        return store

    # ---------------------------------------------------------------- experiments

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an experiment and return its id."""
        experiment_tags = [ExperimentTag(key=k, value=str(v)) for k, v in (tags or {}).items()]
        return self.store.create_experiment(name, artifact_location, experiment_tags).experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.find_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        return self.store.search_experiments(
            ViewType.parse(view_type), max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self.store.set_experiment_tag(str(experiment_id), ExperimentTag(key=key, value=str(value)))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.store.delete_experiment_tag(str(experiment_id), key)

    # ---------------------------------------------------------------- runs

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        run_tags = [RunTag(key=k, value=str(v)) for k, v in (tags or {}).items()]
        user = user_id or (tags or {}).get("mlflow.user") or _user()
        return self.store.create_run(
            str(experiment_id), str(user), start_time or _now(), run_tags, run_name
        )

    def get_run(self, run_id: str) -> Run:
        return self._flushed().get_run(run_id)

    def update_run(
        self, run_id: str, status: RunStatus | str | None = None, name: str | None = None
    ) -> RunInfo:
        parsed = RunStatus.parse(status) if status is not None else None
        end_time = _now() if parsed is not None and parsed.is_terminated else None
        return self._update_run_info(run_id, parsed, end_time, name)

    def set_terminated(
        self, run_id: str, status: RunStatus | str = "FINISHED", end_time: int | None = None
    ) -> RunInfo:
        return self._update_run_info(run_id, RunStatus.parse(status), end_time or _now(), None)

    def _update_run_info(
        self, run_id: str, status: RunStatus | None, end_time: int | None, name: str | None
    ) -> RunInfo:
        """Through the background writer when there is one: after the values queued before,
        and into the run's journal when the server is unreachable (see async_logging)."""
        store = self.store
        writer = async_logging.existing_writer(store)
        if writer is None:
            return store.update_run_info(run_id, status, end_time, name)
        return writer.update_run_info(run_id, status, end_time, name)

    def delete_run(self, run_id: str) -> None:
        self._flushed().delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._flushed().restore_run(run_id)

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        metric = Metric(
            key=key,
            value=validation.metric_value(value, key),
            timestamp=_now() if timestamp is None else timestamp,
            step=step or 0,
        )
        if self._batching(synchronous):
            async_logging.writer_for(self.store).submit_metric(run_id, validation.metric(metric))
        else:
            self._flushed().log_metric(run_id, metric)

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        param = Param(key=key, value=_param_text(value))
        if self._batching(synchronous):
            validation.key(key, "key")
            async_logging.writer_for(self.store).submit(run_id, params=(param,))
        else:
            self._flushed().log_param(run_id, param)
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        tag = RunTag(key=key, value=str(value))
        if self._batching(synchronous):
            validation.key(key, "key")
            async_logging.writer_for(self.store).submit(run_id, tags=(tag,))
        else:
            self._flushed().set_tag(run_id, tag)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._flushed().delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log many values at once; split into requests within MLflow's batch limits."""
        if self._batching(synchronous):
            for metric in metrics:
                validation.metric(metric)
            for param in params:
                validation.key(param.key, "key")
            for tag in tags:
                validation.key(tag.key, "key")
            validation.unique_param_keys(params)
            async_logging.writer_for(self.store).submit(run_id, metrics, params, tags)
            return
        store = self._flushed()
        if (
            len(metrics) + len(params) + len(tags) <= validation.MAX_ENTITIES_PER_BATCH
            and len(params) <= validation.MAX_PARAMS_PER_BATCH
            and len(tags) <= validation.MAX_TAGS_PER_BATCH
        ):
            store.log_batch(run_id, metrics, params, tags)
            return
        validation.unique_param_keys(params)
        for chunk in _chunks(params, validation.MAX_PARAMS_PER_BATCH):
            store.log_batch(run_id, params=chunk)
        for chunk in _chunks(tags, validation.MAX_TAGS_PER_BATCH):
            store.log_batch(run_id, tags=chunk)
        for chunk in _chunks(metrics, validation.MAX_METRICS_PER_BATCH):
            store.log_batch(run_id, metrics=chunk)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        self._flushed().log_inputs(run_id, datasets)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of a metric, in (timestamp, step, value) order."""
        return list(self._flushed().get_metric_history(run_id, key).items)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self._flushed().search_runs(
            [str(i) for i in ids],
            filter_string,
            ViewType.parse(run_view_type),
            max_results,
            order_by,
            page_token,
        )

    def search_run_table(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: Sequence[str] | None = None,
    ) -> RunTable:
        """Up to ``max_results`` matching runs as columns (what DataFrames are built from)."""
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self._flushed().search_run_table(
            [str(i) for i in ids],
            filter_string,
            ViewType.parse(run_view_type),
            max_results,
            order_by,
        )

    # ---------------------------------------------------------------- artifacts

    def artifact_repo_for_run(self, run_id: str) -> ArtifactRepo:
        return uris.artifact_repo(self.get_run(run_id).info.artifact_uri, self.tracking_uri)

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        repo = self.artifact_repo_for_run(run_id)
        if Path(local_path).is_dir():
            name = Path(local_path).resolve().name
            target = posixpath.join(artifact_path, name) if artifact_path else name
            repo.log_artifacts(local_path, target)
        else:
            repo.log_artifact(local_path, check_relative_path(artifact_path) or None)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        self.artifact_repo_for_run(run_id).log_artifacts(
            local_dir, check_relative_path(artifact_path) or None
        )

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self.artifact_repo_for_run(run_id).write_bytes(artifact_file, text.encode("utf-8"))

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        data = artifact_formats.dict_bytes(dictionary, artifact_file)
        self.artifact_repo_for_run(run_id).write_bytes(artifact_file, data)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        data = artifact_formats.figure_bytes(figure, artifact_file)
        self.artifact_repo_for_run(run_id).write_bytes(artifact_file, data)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        if not artifact_file.lower().endswith(".png"):
            raise InvalidArgument(f"Invalid artifact_file '{artifact_file}': images are PNG.")
        data = artifact_formats.image_bytes(image)
        self.artifact_repo_for_run(run_id).write_bytes(artifact_file, data)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        if not artifact_file.endswith(".json"):
            raise InvalidArgument(f"Invalid artifact_file '{artifact_file}': tables are .json.")
        payload, _columns = artifact_formats.table_bytes(data)
        self.artifact_repo_for_run(run_id).write_bytes(artifact_file, payload)
        run = self.get_run(run_id)
        logged = json.loads(run.data.tag_dict.get(LOGGED_ARTIFACTS_TAG, "[]"))
        entry = {"path": artifact_file, "type": "table"}
        if entry not in logged:
            logged.append(entry)
            self.set_tag(run_id, LOGGED_ARTIFACTS_TAG, json.dumps(logged))

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: Sequence[str] | None = None,
        extra_columns: Sequence[str] | None = None,
    ) -> Any:
        """The rows of a ``log_table`` table from the experiment's runs, as one DataFrame."""
        return tables.load_table(self, experiment_id, artifact_file, run_ids, extra_columns)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self.artifact_repo_for_run(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        import tempfile

        destination = dst_path or tempfile.mkdtemp(prefix="runwell-download-")
        os.makedirs(destination, exist_ok=True)
        return self.artifact_repo_for_run(run_id).download_artifacts(path, destination)

    def resolve_artifact_uri(self, artifact_uri: str) -> tuple[ArtifactRepo, str]:
        """Split a ``runs:/<run_id>/<path>``, local or remote URI into a repository and a path."""
        parsed = urlparse(artifact_uri)
        if parsed.scheme == "runs":
            parts = (parsed.netloc + parsed.path).lstrip("/").split("/", 1)
            if not parts[0]:
                raise InvalidArgument(
                    f"Invalid runs URI '{artifact_uri}': expected runs:/<run_id>/<path>."
                )
            return self.artifact_repo_for_run(parts[0]), parts[1] if len(parts) > 1 else ""
        path = uris.local_path(artifact_uri)
        if path is None:
            return self._remote_artifact(artifact_uri)
        local = Path(path)
        if local.is_dir():
            return uris.artifact_repo(str(local)), ""
        return uris.artifact_repo(str(local.parent)), local.name

    def _remote_artifact(self, artifact_uri: str) -> tuple[ArtifactRepo, str]:
        """A directory URI is a repository; a file URI is a name in its parent's repository.

        Remote stores list files only under directories, so an empty listing means a file.
        """
        repo = uris.artifact_repo(artifact_uri, self.tracking_uri)
        parent, _, name = artifact_uri.rstrip("/").rpartition("/")
        if not name or parent.endswith(":") or repo.list_artifacts():
            return repo, ""
        return uris.artifact_repo(parent, self.tracking_uri), name


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
