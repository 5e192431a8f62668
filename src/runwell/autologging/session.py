"""The run an autologged call logs into.

As MLflow does: the active run of this thread when there is one, otherwise a new run that
autolog starts for the call and ends after it, FINISHED, or FAILED when the call raised. Runs
autolog starts carry the tag ``mlflow.autologging=<integration>``. With ``exclusive=True`` an
integration never logs into a run the user started: ``begin`` answers None and the call runs
without autolog.

A new run is made one of two ways:

- ``begin(...)``: started before the call, so code inside the call (a training callback that
  logs each epoch) sees it as the active run. Integrations whose library calls back into
  logging during training use this.
- ``begin(..., deferred=True)``: recorded after the call, by autolog's background thread, with
  the call's start and end times. Creating and ending a run costs a few milliseconds of
  database work, as much as fitting a small scikit-learn model, and none of it needs to happen
  on the training thread. The scope's ``run_id`` (and ``client``) wait for the run to exist;
  ``runwell.last_active_run()`` answers it as soon as the call returns. Runs that sample
  system metrics are never deferred (the monitor has to run during the call), nor are the
  runs of a ``synchronous`` integration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from runwell.autologging import worker
from runwell.autologging.config import AutologConfig
from runwell.entities import RunStatus
from runwell.errors import ErrorCode, RunwellError
from runwell.tracking import fluent
from runwell.tracking.client import RunwellClient

AUTOLOGGING_TAG = "mlflow.autologging"


class RunScope:
    """Where one autologged call logs: the run, its experiment and the client of its store.

    ``owned``: autolog started the run and ``end`` ends it. The run of a deferred scope is
    created by the background thread; reading ``run_id``, ``experiment_id`` or ``client``
    waits for it (and raises if it could not be created).
    """

    def __init__(
        self,
        integration: str,
        owned: bool,
        run_id: str | None = None,
        experiment_id: str | None = None,
        client: RunwellClient | None = None,
    ) -> None:
        self.integration = integration
        self.owned = owned
        self._run_id = run_id
        self._experiment_id = experiment_id
        self._client = client
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        if run_id is not None:
            self._ready.set()

    def resolve(self, run_id: str, experiment_id: str, client: RunwellClient) -> None:
        self._run_id, self._experiment_id, self._client = run_id, experiment_id, client
        self._ready.set()

    def fail(self, failure: BaseException) -> None:
        self._failure = failure
        self._ready.set()

    def _wait(self) -> None:
        self._ready.wait()
        if self._failure is not None:
            raise RunwellError(
                f"autolog could not create its run: {self._failure!r}", ErrorCode.INTERNAL_ERROR
            ) from self._failure

    @property
    def run_id(self) -> str:
        self._wait()
        assert self._run_id is not None
        return self._run_id

    @property
    def experiment_id(self) -> str:
        self._wait()
        assert self._experiment_id is not None
        return self._experiment_id

    @property
    def client(self) -> RunwellClient:
        self._wait()
        assert self._client is not None
        return self._client


class _DeferredRun:
    """What a deferred scope's run will be made from, captured at the start of the call."""

    def __init__(self, scope: RunScope, tags: dict[str, Any]) -> None:
        self.scope = scope
        self.tags = tags
        self.experiment_id = fluent.pinned_experiment_id()
        self.start_time = int(time.time() * 1000)

    def record(self, status: RunStatus, end_time: int) -> None:
        """Background job: create the run, already ended, and hand it to the scope."""
        try:
            client, run = fluent.record_run(
                self.experiment_id, self.tags, self.start_time, end_time, status.name
            )
        except BaseException as exc:
            self.scope.fail(exc)
            raise
        self.scope.resolve(run.info.run_id, run.info.experiment_id, client)


_deferred: dict[int, _DeferredRun] = {}  # id(scope) -> its pending run, between begin and end
_deferred_lock = threading.Lock()


def begin(
    integration: str,
    settings: AutologConfig,
    tags: Mapping[str, str] | None = None,
    *,
    deferred: bool = False,
) -> RunScope | None:
    """The active run, or a new one (tagged); None when ``exclusive`` forbids the active run.

    ``deferred``: record the new run after the call (see the module), unless it logs system
    metrics or the integration is ``synchronous``. Submit jobs that log into the scope after
    ``end``: they run after the run is recorded.
    """
    active = fluent.active_run()
    if active is not None:
        if settings.exclusive:
            return None
        info = active.info
        return RunScope(integration, False, info.run_id, info.experiment_id, active.client)
    run_tags = {AUTOLOGGING_TAG: integration, **settings.extra_tags, **(tags or {})}
    if deferred and not settings.synchronous and not fluent.system_metrics_wanted():
        scope = RunScope(integration, True)
        with _deferred_lock:
            _deferred[id(scope)] = _DeferredRun(scope, run_tags)
        fluent.set_last_run(lambda: scope.run_id)
        return scope
    started = fluent.start_run(tags=run_tags)
    info = started.info
    return RunScope(integration, True, info.run_id, info.experiment_id, started.client)


def end(scope: RunScope | None, failed: bool = False) -> None:
    """End the run if autolog started it (a deferred run is recorded in the background)."""
    if scope is None or not scope.owned:
        return
    status = RunStatus.FAILED if failed else RunStatus.FINISHED
    with _deferred_lock:
        pending = _deferred.pop(id(scope), None)
    if pending is None:
        fluent.end_run(status.name, run_id=scope.run_id)
        return
    end_time = int(time.time() * 1000)
    worker.submit(scope.integration, "recording the run", lambda: pending.record(status, end_time))
