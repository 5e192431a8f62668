"""Uploading a journal to a tracking store, exactly once.

A tracking server chooses run ids itself (``runs/create`` takes no id, in MLflow's API as in
ours), so an offline run gets a new id on the server. Sync makes that run with the tag
``runwell.journal.runId`` = the journal's run id, and before creating one it searches the
experiment for a run with that tag: a sync interrupted between the create and saving the
mapping finds its run instead of making a second one. The mapping (``server_run_id``) and the
server it belongs to (``target``) are saved in the journal before any value is sent; a journal
partly synced to one server is refused by another. Spill journals (values of a server's run,
kept while it was unreachable) need no mapping: the run id is the server's, and only that
server (the journal's ``tracking_uri``) takes them.

Then the records are replayed in order (sender.py), progress saved after each acknowledged
request. A journal whose records cannot all be read is synced up to its last intact record
and the damage is reported; it stays on disk and is not marked done. When everything is
delivered and no process still writes the journal (its writer lock is free), the files under
``artifacts/`` are uploaded (each recorded once uploaded), a run its process never ended is
ended KILLED (the writer died: the lock was dropped without the exit mark) and the journal is
marked done, or removed with ``remove=True`` (a spill journal is always removed once
delivered: it only buffered values of a run the server has). An experiment deleted on the
server stops the sync with an error naming it; nothing is sent and the journal stays. A spill
journal whose process still runs is left to that process, which delivers it (spill.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from runwell.entities import Experiment, LifecycleStage, RunStatus, RunTag, ViewType
from runwell.errors import AlreadyExists, InvalidState, NotFound
from runwell.store.journal import spool
from runwell.store.journal.format import Kind
from runwell.store.journal.journal import Journal, JournalDamaged
from runwell.store.journal.sender import Sender
from runwell.store.protocols import TrackingStore
from runwell.store.uri import artifact_repo

JOURNAL_RUN_TAG = "runwell.journal.runId"


@dataclass
class SyncResult:
    """What one sync of one journal did."""

    directory: Path
    run_id: str = ""
    server_run_id: str = ""
    resumed_at: int = 0
    values: int = 0
    files: int = 0
    done: bool = False
    removed: bool = False
    already_done: bool = False
    damage: str | None = None
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sync_journal(
    journal: Journal,
    store: TrackingStore,
    tracking_uri: str,
    *,
    owner: bool = False,
    remove: bool = False,
) -> SyncResult:
    """Deliver ``journal`` to ``store`` (at ``tracking_uri``).

    ``owner``: the caller is the journal's writer (the background catch-up), so the journal is
    neither finished nor marked done here. Raises what the store raised (Unavailable: the
    server is gone; progress so far is kept) and InvalidState when the journal belongs
    elsewhere or its experiment or server run was deleted.
    """
    result = SyncResult(journal.directory, run_id=journal.meta("run_id") or "")
    if journal.damage:
        result.notes.append(journal.damage)
    state = journal.sync_state()
    if state.get("done") == "1":
        result.already_done = result.done = True
        result.server_run_id = state.get("server_run_id", "")
        if remove:
            _remove(journal, result)
        return result
    _check_target(journal, state, tracking_uri)
    if not owner and journal.meta("kind") == spool.SPILL and journal.writer_alive():
        result.notes.append("its process is running and delivers it itself when it can")
        return result
    seq, offset = int(state.get("seq", "0")), int(state.get("offset", "0"))
    result.resumed_at = seq
    records = journal.records(after=seq)
    sender: Sender | None = None
    try:
        if journal.meta("kind") == spool.SPILL:
            result.server_run_id = _spilled_run(journal, store, tracking_uri, state)
        elif "server_run_id" in state:
            result.server_run_id = _check_run(journal, store, state["server_run_id"])
        else:
            first = next(records, None)
            if first is None or first.kind is not Kind.RUN:
                raise JournalDamaged(journal.directory, 0, "its first record does not create a run")
            result.server_run_id = _create_run(journal, store, tracking_uri, first.json())
            seq, offset = 1, 0
        sender = Sender(journal, store, result.server_run_id)
        progress = sender.replay(records, (seq, offset))
    except JournalDamaged as exc:
        result.damage = str(exc)
        if sender is not None:
            result.values, result.refused = sender.progress.values, sender.progress.refused
        return result
    result.values, result.refused = progress.values, progress.refused
    if not owner:
        _finish(journal, store, tracking_uri, result, remove)
    return result


def _check_target(journal: Journal, state: dict[str, str], tracking_uri: str) -> None:
    target = state.get("target") or (
        journal.meta("tracking_uri") if journal.meta("kind") == spool.SPILL else None
    )
    if target and target.rstrip("/") != tracking_uri.rstrip("/"):
        raise InvalidState(
            f"Journal {journal.directory} belongs to the tracking server {target} (its run "
            f"is there), not {tracking_uri}: sync it with --tracking-uri {target}."
        )


def _active_experiment(store: TrackingStore, experiment: Experiment, journal: Journal) -> None:
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidState(
            f"Cannot sync journal {journal.directory}: its experiment '{experiment.name}' (id "
            f"{experiment.experiment_id}) was deleted on the tracking server. Restore it "
            f"(`runwell experiments restore {experiment.experiment_id}`) and sync again; the "
            "journal is kept."
        )


def _check_run(journal: Journal, store: TrackingStore, run_id: str) -> str:
    """The server run a journal is synced to, if it and its experiment are still active."""
    try:
        run = store.get_run(run_id)
    except NotFound:
        raise InvalidState(
            f"Cannot sync journal {journal.directory}: its run {run_id} no longer exists on the "
            "tracking server. The journal is kept."
        ) from None
    _active_experiment(store, store.get_experiment(run.info.experiment_id), journal)
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidState(
            f"Cannot sync journal {journal.directory}: its run {run_id} was deleted on the "
            f"tracking server. Restore it (`runwell runs restore {run_id}`) and sync again; "
            "the journal is kept."
        )
    return run_id


def _spilled_run(
    journal: Journal, store: TrackingStore, tracking_uri: str, state: dict[str, str]
) -> str:
    run_id = journal.meta("run_id") or ""
    if "server_run_id" not in state:
        _check_run(journal, store, run_id)
        journal.save_sync_state({"server_run_id": run_id, "target": tracking_uri})
    return run_id


def _create_run(
    journal: Journal, store: TrackingStore, tracking_uri: str, created: dict[str, object]
) -> str:
    """The server run of an offline journal: found by its tag, else created with it."""
    run_id = str(journal.meta("run_id"))
    experiment = _experiment(journal, store, created)
    found = store.search_runs(
        [experiment.experiment_id],
        f"tags.`{JOURNAL_RUN_TAG}` = '{run_id}'",
        ViewType.ALL,
        max_results=1,
    ).items
    if found:
        server_run_id = _check_run(journal, store, found[0].info.run_id)
    else:
        raw_tags = created.get("tags") or []
        tags = [RunTag(key=str(k), value=str(v)) for k, v in raw_tags]  # type: ignore[attr-defined]
        tags.append(RunTag(key=JOURNAL_RUN_TAG, value=run_id))
        run = store.create_run(
            experiment.experiment_id,
            str(created.get("user_id") or ""),
            int(created.get("start_time") or 0),  # type: ignore[call-overload]
            tags,
            str(created.get("run_name") or "") or None,
        )
        server_run_id = run.info.run_id
    journal.save_sync_state(
        {"server_run_id": server_run_id, "target": tracking_uri, "seq": "1", "offset": "0"}
    )
    return server_run_id


def _experiment(journal: Journal, store: TrackingStore, created: dict[str, object]) -> Experiment:
    if created.get("experiment_id") is not None:
        experiment_id = str(created["experiment_id"])
        try:
            experiment = store.get_experiment(experiment_id)
        except NotFound:
            raise InvalidState(
                f"Cannot sync journal {journal.directory}: experiment id {experiment_id} does "
                "not exist on the tracking server. The journal is kept."
            ) from None
    else:
        name = str(created["experiment_name"])
        found = store.find_experiment_by_name(name)
        if found is None:
            try:
                store.create_experiment(name)
            except AlreadyExists:
                pass  # made meanwhile by another sync
            found = store.find_experiment_by_name(name)
        if found is None:
            raise NotFound(f"Experiment '{name}' could not be created on the tracking server.")
        experiment = found
    _active_experiment(store, experiment, journal)
    return experiment


def _finish(
    journal: Journal, store: TrackingStore, tracking_uri: str, result: SyncResult, remove: bool
) -> None:
    """Upload artifacts, end a run its process never ended, mark done (or remove)."""
    if journal.writer_alive():
        result.notes.append("still being written by a running process: sync again later")
        return
    server_run = store.get_run(result.server_run_id)
    if journal.artifacts.is_dir():
        result.files = _upload_artifacts(journal, server_run.info.artifact_uri, tracking_uri)
    state = journal.sync_state()
    if state.get("ended") != "1":
        if journal.meta("exited"):
            result.notes.append("its process exited without ending the run: left RUNNING")
        else:
            mtime = int(journal.path.stat().st_mtime * 1000)
            store.update_run_info(result.server_run_id, RunStatus.KILLED, mtime)
            result.notes.append("its process was killed before ending the run: ended KILLED")
        journal.save_sync_state({"ended": "1"})
    journal.save_sync_state({"done": "1"})
    result.done = True
    if remove or journal.meta("kind") == spool.SPILL:  # a spill journal is only a buffer
        _remove(journal, result)


def _remove(journal: Journal, result: SyncResult) -> None:
    journal.close()
    shutil.rmtree(journal.directory)
    result.removed = True


def _upload_artifacts(journal: Journal, artifact_uri: str, tracking_uri: str) -> int:
    done = journal.synced_files()
    files = sorted(p for p in journal.artifacts.rglob("*") if p.is_file())
    pending = [p for p in files if p.relative_to(journal.artifacts).as_posix() not in done]
    if not pending:
        return 0
    repo = artifact_repo(artifact_uri, tracking_uri)
    for path in pending:
        relative = path.relative_to(journal.artifacts)
        parent = relative.parent.as_posix()
        repo.log_artifact(str(path), None if parent == "." else parent)
        journal.add_synced_file(relative.as_posix())
    return len(pending)
