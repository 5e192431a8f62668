"""Replaying a journal's records to a store, in order, with progress saved after each answer.

Values travel in ``log_batch`` requests within the server's limits (1000 values, at most 100
params and 100 tags, a param key once per request); a request may span records, and a record
larger than one request is split. After every acknowledged request the journal records how
far it got, as ``seq`` (every record up to it delivered) and ``offset`` (values of the next
record delivered), so an interrupted sync resumes at the first value not acknowledged.

Only the request in flight when a sync is interrupted can be delivered twice, and that is
harmless: stores keep a metric point once per (key, timestamp, step, value) (exact duplicates
are ignored or merged when read), a param logged again with its value is a no-op, and a tag
set again to the same value changes nothing. A request the server refuses as invalid is
re-sent value by value, so that only the refused values are left out; each is recorded in the
journal's ``sync_refused`` table and reported, never dropped silently.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from runwell.entities import Metric, Param, RunStatus, RunTag
from runwell.errors import InvalidArgument, NotFound
from runwell.store import validation
from runwell.store.journal.format import Batch, Kind, Record, unpack_batch
from runwell.store.journal.journal import Journal, JournalDamaged
from runwell.store.protocols import TrackingStore
from runwell.store.rest.tracking import RestTrackingStore
from runwell.wire import paths
from runwell.wire.codec import dataset_input_from_json, double_to_json

Position = tuple[int, int]  # (record, values of it delivered)
_IN_FLIGHT = 2


@dataclass
class _Request:
    params: list[Param] = field(default_factory=list)
    tags: dict[str, RunTag] = field(default_factory=dict)
    # Points as slices of unpacked batches: (batch, start, stop).
    segments: list[tuple[Batch, int, int]] = field(default_factory=list)
    points: int = 0
    first_seq: int = 0
    end: Position = (0, 0)
    complete: bool = False  # whether ``end`` closes its record

    @property
    def size(self) -> int:
        return len(self.params) + len(self.tags) + self.points

    def metrics(self) -> list[Metric]:
        return [m for batch, start, stop in self.segments for m in batch.metrics(start, stop)]

    def json_body(self, run_id: str) -> bytes:
        """The ``log-batch`` request body, made from the columns without Metric objects."""
        metrics: list[dict[str, Any]] = []
        for batch, start, stop in self.segments:
            keys = batch.keys
            metrics += [
                {
                    "key": keys[k],
                    "value": v if v - v == 0 else double_to_json(v),
                    "timestamp": t,
                    "step": s,
                }
                for k, t, s, v in zip(
                    batch.index[start:stop],
                    batch.timestamps[start:stop],
                    batch.steps[start:stop],
                    batch.values[start:stop],
                    strict=True,
                )
            ]
        body: dict[str, Any] = {"run_id": run_id, "metrics": metrics}
        if self.params:
            body["params"] = [{"key": p.key, "value": p.value} for p in self.params]
        if self.tags:
            body["tags"] = [{"key": t.key, "value": t.value} for t in self.tags.values()]
        return orjson.dumps(body)


@dataclass
class Progress:
    """What one replay delivered."""

    values: int = 0
    requests: int = 0
    ended: bool = False
    refused: list[str] = field(default_factory=list)


class Sender:
    """Delivers records of ``journal`` to ``run_id`` in ``store``, saving progress."""

    def __init__(self, journal: Journal, store: TrackingStore, run_id: str) -> None:
        self.journal = journal
        self.store = store
        self.run_id = run_id
        self.progress = Progress()
        self._request = _Request()
        # Requests are answered by a worker thread while the next ones are packed: the
        # server stores one while this process encodes the next.
        self._outbox: queue.Queue[_Request | None] = queue.Queue(maxsize=_IN_FLIGHT)
        self._worker: threading.Thread | None = None
        self._failure: BaseException | None = None

    def _saved(self, seq: int, offset: int) -> None:
        self.journal.save_sync_state({"seq": str(seq), "offset": str(offset)})

    def replay(self, records: Iterator[Record], start: Position) -> Progress:
        """Send ``records`` (beginning at record ``start[0] + 1``, of which ``start[1]``
        values were delivered before)."""
        try:
            for record in records:
                skip = start[1] if record.seq == start[0] + 1 else 0
                if record.kind is Kind.BATCH:
                    self._add_batch(record.seq, unpack_batch(record.body), skip)
                else:
                    self._send()
                    self._drain()
                    self._single(record)
            self._send()
        except JournalDamaged:
            self._send()  # what was read before the damage is intact: deliver it
            raise
        finally:
            self._stop()  # raises what a request failed with, if one did
        return self.progress

    def _single(self, record: Record) -> None:
        """A record that is one call of its own: status, tag deletion, datasets."""
        saved = {"seq": str(record.seq), "offset": "0"}
        if record.kind is Kind.STATUS:
            change = record.json()
            status = RunStatus.parse(change["status"]) if change.get("status") else None
            end_time, name = change.get("end_time"), change.get("run_name")
            self.store.update_run_info(self.run_id, status, end_time, name)
            if status is not None:
                self.progress.ended = status.is_terminated
                saved["ended"] = "1" if status.is_terminated else "0"
        elif record.kind is Kind.DELETE_TAG:
            try:
                self.store.delete_tag(self.run_id, record.json()["key"])
            except NotFound:
                pass  # deleted already (an interrupted sync sent it)
        elif record.kind is Kind.INPUTS:
            datasets = [dataset_input_from_json(d) for d in record.json()["datasets"]]
            self.store.log_inputs(self.run_id, datasets)
        self.journal.save_sync_state(saved)
        self.progress.values += 1

    # ---------------------------------------------------------------- packing requests

    def _add_batch(self, seq: int, batch: Batch, skip: int) -> None:
        n_params, n_tags = len(batch.params), len(batch.tags)
        total = len(batch)
        index = skip
        while index < total:
            request = self._request
            if not request.first_seq:
                request.first_seq = seq
            room = validation.MAX_ENTITIES_PER_BATCH - request.size
            if index < n_params:
                param = batch.params[index]
                if (
                    room == 0
                    or len(request.params) == validation.MAX_PARAMS_PER_BATCH
                    or any(p.key == param.key for p in request.params)
                ):
                    self._send()
                    continue
                request.params.append(param)
                index += 1
            elif index < n_params + n_tags:
                tag = batch.tags[index - n_params]
                if room == 0 or (
                    len(request.tags) == validation.MAX_TAGS_PER_BATCH
                    and tag.key not in request.tags
                ):
                    self._send()
                    continue
                request.tags.pop(tag.key, None)  # the last value of a key wins, in order
                request.tags[tag.key] = tag
                index += 1
            else:
                if room == 0:
                    self._send()
                    continue
                start = index - n_params - n_tags
                stop = min(len(batch.index), start + room)
                request.segments.append((batch, start, stop))
                request.points += stop - start
                index += stop - start
            request.end = (seq, index)
            request.complete = index == total

    def _send(self) -> None:
        """Hand the request being packed to the worker (waits while two are in flight)."""
        request = self._request
        if not request.size:
            return
        self._request = _Request()
        if self._failure is not None:
            raise self._failure
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="runwell-sync", daemon=True)
            self._worker.start()
        self._outbox.put(request)

    def _work(self) -> None:
        while True:
            request = self._outbox.get()
            try:
                if request is None:
                    return
                if self._failure is None:
                    self._deliver(request)
            except BaseException as exc:  # handed to the replaying thread, which raises it
                self._failure = exc
            finally:
                self._outbox.task_done()

    def _drain(self) -> None:
        """Wait until every request handed over is answered; raise what one failed with."""
        if self._worker is not None:
            self._outbox.join()
        if self._failure is not None:
            raise self._failure

    def _stop(self) -> None:
        if self._worker is not None:
            self._outbox.put(None)
            self._worker.join()
            self._worker = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _deliver(self, request: _Request) -> None:
        try:
            if isinstance(self.store, RestTrackingStore):
                body = request.json_body(self.run_id)
                self.store.transport.send(
                    "POST",
                    paths.api(paths.RUNS_LOG_BATCH),
                    content=lambda: body,
                    headers={"Content-Type": "application/json"},
                )
            else:
                params, tags = request.params, list(request.tags.values())
                self.store.log_batch(self.run_id, request.metrics(), params, tags)
        except InvalidArgument:
            self._one_by_one(request)
        seq, offset = request.end
        if request.complete:
            self._saved(seq, 0)
        else:
            self._saved(seq - 1, offset)
        self.progress.values += request.size
        self.progress.requests += 1

    def _one_by_one(self, request: _Request) -> None:
        where = (
            f"record {request.first_seq}"
            if request.first_seq == request.end[0]
            else f"records {request.first_seq}-{request.end[0]}"
        )
        singles: list[tuple[str, list[Metric], list[Param], list[RunTag]]] = [
            *((f"param {p.key}={p.value!r}", [], [p], []) for p in request.params),
            *((f"tag {t.key}", [], [], [t]) for t in request.tags.values()),
            *((f"metric {m.key} at step {m.step}", [m], [], []) for m in request.metrics()),
        ]
        for what, metrics, params, tags in singles:
            try:
                self.store.log_batch(self.run_id, metrics, params, tags)
            except InvalidArgument as exc:
                message = f"{where}: {what} refused by the server: {exc}"
                self.journal.add_refusal(request.end[0], message)
                self.progress.refused.append(message)
