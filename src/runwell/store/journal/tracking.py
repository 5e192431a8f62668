"""JournalTrackingStore: the store behind RUNWELL_MODE=offline, one journal per run.

``create_run`` generates the run id here (32 hex digits, like a server's) and starts a journal
in the spool directory; every later write of that run is appended to its journal, and reads of
the run fold the journal back (replay.py). The run's artifact root is the journal's
``artifacts/`` directory, so files logged to the run are copied beside the journal and
uploaded by ``runwell sync`` with the rest.

Experiments are referred to, not created: the server's ids are unknown offline. An experiment
named ``wine`` reports the id ``name:wine`` (``set_experiment("wine")`` works as usual) and the
journal records the name; sync finds or creates the experiment by that name. An explicit id
(``"0"``, ``"12"``) is recorded as given and must exist on the server at sync time.

The values are checked with the stores' rules as they are logged (a param changed to another
value is refused here, as the server would refuse it), so a sync meets few refusals. Calls
that need the server's data (searches, other runs, logged models) raise InvalidState naming
offline mode (unsupported.py).
"""

from __future__ import annotations

import atexit
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path

from runwell.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    Metric,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store import validation
from runwell.store.journal import replay, spool
from runwell.store.journal.format import Kind, checked_batch, json_body
from runwell.store.journal.journal import Journal
from runwell.store.journal.unsupported import OfflineUnsupported
from runwell.wire.codec import dataset_input_to_json

DEFAULT_EXPERIMENT_ID = "0"
_NAME_PREFIX = "name:"
_stores: weakref.WeakSet[JournalTrackingStore] = weakref.WeakSet()


class JournalTrackingStore(OfflineUnsupported):
    """Runs in journals under ``spool`` (default: RUNWELL_SPOOL_DIR), meant for
    ``tracking_uri``, which their journals record as where they should be synced."""

    def __init__(self, tracking_uri: str, spool_dir: Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.spool = spool_dir or spool.spool_dir()
        self._journals: dict[str, Journal] = {}
        self._params: dict[str, dict[str, str]] = {}
        self._views: dict[str, replay.RunView] = {}
        self._lock = threading.Lock()
        _stores.add(self)

    # ---------------------------------------------------------------- journals

    def journal_of(self, run_id: str) -> Journal:
        """The run's journal, open for writing by this store."""
        found = self._journals.get(run_id)
        if found is not None:
            return found
        with self._lock:
            found = self._journals.get(run_id)
            if found is None:
                directory = self._directory(run_id)
                found = Journal.open(directory, write=True)
                if found.sync_state().get("done") == "1":
                    # A synced run written to again (resumed): the next sync goes on from
                    # where the last one stopped, and finishes the journal again.
                    found.save_sync_state({"done": "0", "ended": "0"})
                view = self._views[run_id] = replay.fold(found, run_id)
                self._params[run_id] = dict(view.params)
                self._journals[run_id] = found
            return found

    def _directory(self, run_id: str) -> Path:
        validation.run_id(run_id)
        directory = spool.journal_dir(run_id, self.spool)
        if not (directory / "journal.db").is_file():
            raise NotFound(
                f"Run '{run_id}' not found in offline mode (RUNWELL_MODE=offline): it has no "
                f"journal under {self.spool}. Offline runs are read from their journals; sync "
                "them and unset RUNWELL_MODE to read runs from the tracking server."
            )
        return directory

    def close(self) -> None:
        with self._lock:
            journals = list(self._journals.values())
            self._journals.clear()
            self._views.clear()
        for journal in journals:
            journal.close()

    def mark_exit(self) -> None:
        """Note in every open journal that its process exits normally (not killed)."""
        for journal in list(self._journals.values()):
            journal.set_meta("exited", str(int(time.time() * 1000)))

    # ---------------------------------------------------------------- experiments

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> Experiment:
        return self._named(validation.experiment_name(name))

    def get_experiment(self, experiment_id: str) -> Experiment:
        if experiment_id.startswith(_NAME_PREFIX):
            return self._named(experiment_id[len(_NAME_PREFIX) :])
        name = "Default" if experiment_id == DEFAULT_EXPERIMENT_ID else experiment_id
        return Experiment(experiment_id=experiment_id, name=name, artifact_location="")

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        return self._named(name)

    def _named(self, name: str) -> Experiment:
        return Experiment(experiment_id=_NAME_PREFIX + name, name=name, artifact_location="")

    # ---------------------------------------------------------------- runs

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run:
        checked = validation.run_tags(tags)
        created: dict[str, object] = {
            "user_id": user_id,
            "start_time": validation.int64(start_time or 0, "start_time"),
            "run_name": run_name,
            "tags": [[t.key, t.value] for t in checked],
        }
        if experiment_id.startswith(_NAME_PREFIX):
            created["experiment_name"] = experiment_id[len(_NAME_PREFIX) :]
        else:
            created["experiment_id"] = validation.experiment_id(experiment_id)
        run_id = uuid.uuid4().hex
        directory = spool.journal_dir(run_id, self.spool)
        journal = Journal.create(
            directory,
            {"kind": spool.OFFLINE, "run_id": run_id, "tracking_uri": self.tracking_uri},
        )
        journal.artifacts.mkdir(exist_ok=True)
        journal.append(Kind.RUN, json_body(created), 1 + len(checked))
        with self._lock:
            self._journals[run_id] = journal
            self._params[run_id] = {}
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> Run:
        journal = self._journals.get(run_id)
        if journal is not None:
            with self._lock:  # fold on from the last read: a read costs what was appended since
                view = self._views[run_id] = replay.fold(journal, run_id, self._views.get(run_id))
                return view.run(journal.artifacts.as_uri())
        reader = Journal.open(self._directory(run_id))
        try:
            return replay.fold(reader, run_id).run(reader.artifacts.as_uri())
        finally:
            reader.close()

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        change = {
            "status": None if status is None else RunStatus.parse(status).name,
            "end_time": end_time,
            "run_name": run_name or None,
        }
        self.journal_of(run_id).append(Kind.STATUS, json_body(change), 1)
        info = self.get_run(run_id).info
        if status is not None and RunStatus.parse(status).is_terminated:
            # The run is over: let go of its journal, so that `runwell sync` may finish it
            # while this process lives on (a later write to the run opens it again).
            with self._lock:
                journal = self._journals.pop(run_id, None)
                self._views.pop(run_id, None)
            if journal is not None:
                journal.close()
        return info

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=(metric,))

    def log_param(self, run_id: str, param: Param) -> None:
        self.log_batch(run_id, params=(param,))

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self.log_batch(run_id, tags=(tag,))

    def delete_tag(self, run_id: str, key: str) -> None:
        if key not in self.get_run(run_id).data.tag_dict:
            raise NotFound(f"No tag with name: {key} in run with id {run_id}")
        self.journal_of(run_id).append(Kind.DELETE_TAG, json_body({"key": key}), 1)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if not (metrics or params or tags):
            return
        journal = self.journal_of(run_id)
        body = checked_batch(metrics, params, tags)
        known = self._params[run_id]
        fresh: dict[str, str] = {}
        for param in params:
            before = known.get(param.key, fresh.get(param.key))
            if before is not None and before != param.value:
                raise InvalidArgument(
                    f"Changing param values is not allowed. Param with key='{param.key}' was "
                    f"already logged with value='{before}' for run ID='{run_id}'. Attempted "
                    f"logging new value '{param.value}'."
                )
            fresh[param.key] = param.value
        journal.append(Kind.BATCH, body, len(metrics) + len(params) + len(tags))
        known.update(fresh)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        for item in datasets:
            validation.dataset(item.dataset)
            for tag in item.tags:
                validation.input_tag(tag)
        body = json_body({"datasets": [dataset_input_to_json(d) for d in datasets]})
        self.journal_of(run_id).append(Kind.INPUTS, body, len(datasets))

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        journal = self._journals.get(run_id)
        reader = journal or Journal.open(self._directory(run_id))
        try:
            points = replay.history(reader, metric_key)
        finally:
            if journal is None:
                reader.close()
        start = int(page_token or 0)
        if max_results is None:
            return Page(points[start:], None)
        end = start + validation.max_results(max_results, 25_000, 25_000)
        return Page(points[start:end], str(end) if end < len(points) else None)


def _mark_exits() -> None:
    for store in list(_stores):
        store.mark_exit()


# Imported when the first offline store is made, so after the fluent API registered its hook:
# this one runs first (atexit is last-in, first-out), and the runs the fluent hook then ends
# still append their end to journals that stay open.
atexit.register(_mark_exits)
