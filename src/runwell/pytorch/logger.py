"""``RunwellLogger``: log a hand-written PyTorch training loop.

    import runwell.pytorch
    with runwell.pytorch.RunwellLogger(run_name="mlp", log_every_n_step=10) as logger:
        logger.log_hyperparams({"lr": 1e-3, "net": {"hidden": 64}})  # net/hidden = 64
        for step, (x, y) in enumerate(loader):
            loss = loss_fn(net(x), y)
            ...
            logger.log_metrics({"loss": loss}, step=step)  # a tensor: no device sync here
        model_uri = logger.log_model(net, input_example=x[:5].numpy())
    # the run has ended: runwell.get_run(logger.run_id) holds the loss history

The run: ``run_id`` logs into that run; otherwise the thread's active run when there is one
(left running); otherwise a new run (``experiment_id``, ``run_name``, ``tags``) that the
logger starts as the thread's active run, so ``runwell.log_param`` inside the loop lands in
it too, and ends in ``close()`` or at the end of the ``with`` block (FAILED when an
exception leaves it). The run is found or started by the first call that needs it, not by
the constructor, so a logger can be built before anything runs.

What a call costs the loop: ``log_metrics`` skips the steps ``log_every_n_step`` leaves out,
checks names and values, keeps a detached copy of each tensor and appends (see
runwell.autologging.metric_buffer); autolog's background thread calls ``.item()`` and writes
one batch a second (or per 1000 values). ``log_hyperparams`` queues its params the same way.
A value the store refuses there (a param logged again with another value) becomes a warning,
not an exception in the loop. ``flush()`` waits for both; ``log_model`` logs the model before
it returns (the loop may change the weights right after).

With Lightning installed, ``runwell.pytorch.RunwellLightningLogger`` is this logger as a
Lightning ``Logger``: ``Trainer(logger=RunwellLightningLogger())``.
"""

from __future__ import annotations

import functools
import threading
from argparse import Namespace
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from runwell.autologging import worker
from runwell.autologging.metric_buffer import MetricBuffer
from runwell.autologging.models import log_model_to_run
from runwell.autologging.pytorch_callback import param_values
from runwell.autologging.session import RunScope
from runwell.entities import Param, RunStatus
from runwell.errors import InvalidArgument
from runwell.models.model import Model
from runwell.tracking import fluent
from runwell.tracking.client import RunwellClient

NAME = "pytorch"


class RunwellLogger:
    """Metrics, params and models of a plain PyTorch loop, into one run (see the module).

    Args:
        run_id: log into this existing run (never ended by the logger).
        experiment_id: the experiment of a run the logger starts.
        run_name: the name of a run the logger starts.
        tags: tags of a run the logger starts.
        log_every_n_step: log ``log_metrics`` calls whose step is a multiple of n only
            (calls without a step are always logged); None: every call.
    """

    def __init__(
        self,
        run_id: str | None = None,
        experiment_id: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        log_every_n_step: int | None = None,
    ) -> None:
        every = log_every_n_step
        if every is not None and (
            not isinstance(every, int) or isinstance(every, bool) or every < 1
        ):
            raise InvalidArgument(
                f"Invalid log_every_n_step: expected None or a whole number >= 1, got {every!r}."
            )
        self.log_every_n_step = every
        self._asked_run_id = run_id
        self._experiment_id = experiment_id
        self._run_name = run_name
        self._tags = dict(tags or {})
        self._scope: RunScope | None = None
        self._buffer: MetricBuffer | None = None
        self._closed = False
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # A copy in another process (a Lightning trainer pickled by strategy="ddp_spawn")
        # logs into the same run, through a client of its own, and never ends it.
        state = dict(self.__dict__)
        if self._scope is not None:
            state["_asked_run_id"] = self._scope.run_id
        state.update(_scope=None, _buffer=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the run

    @property
    def run_id(self) -> str:
        """The run's id (found or started now if no call needed it yet)."""
        return self._run().run_id

    @property
    def experiment_id(self) -> str:
        return self._run().experiment_id

    def autolog_scope(self) -> RunScope:
        """The logger's run, for autolog to log into (the logger ends it, autolog never)."""
        found = self._run()
        info = (found.run_id, found.experiment_id, found.client)
        return RunScope(NAME, False, *info)

    def _run(self) -> RunScope:
        scope = self._scope
        if scope is not None:
            return scope
        with self._lock:
            if self._scope is None:
                self._scope = self._find_run()
                self._buffer = MetricBuffer(self._scope.client, self._scope.run_id, NAME)
            return self._scope

    def _find_run(self) -> RunScope:
        if self._asked_run_id is not None:
            client = RunwellClient()
            info = client.get_run(self._asked_run_id).info
            return RunScope(NAME, False, info.run_id, info.experiment_id, client)
        active = fluent.active_run()
        if active is not None:
            info = active.info
            return RunScope(NAME, False, info.run_id, info.experiment_id, active.client)
        started = fluent.start_run(
            experiment_id=self._experiment_id, run_name=self._run_name, tags=self._tags or None
        )
        info = started.info
        return RunScope(NAME, True, info.run_id, info.experiment_id, started.client)

    # ------------------------------------------------------------ logging

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Queue ``metrics`` (name -> number or one-element tensor) at ``step`` (default 0).

        Raises:
            InvalidArgument: a name a run cannot hold, or a value that is not a number.
        """
        every = self.log_every_n_step
        if every is not None and step is not None and step % every:
            return
        self._run()
        assert self._buffer is not None
        self._buffer.add(metrics, step=step)

    def log_hyperparams(
        self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        """Queue ``params`` as the run's params (nested mappings become ``outer/inner``)."""
        values = vars(params) if isinstance(params, Namespace) else params
        if not isinstance(values, Mapping):
            raise InvalidArgument(
                f"Invalid params: expected a mapping or a Namespace, got {type(params).__name__}."
            )
        batch = [Param(key=k, value=v) for k, v in param_values(values).items()]
        if not batch:
            return
        scope = self._run()
        job = functools.partial(scope.client.log_batch, scope.run_id, (), batch, synchronous=True)
        worker.submit(NAME, "logging the params", job)

    def log_model(
        self,
        model: Any,
        name: str = "model",
        registered_model_name: str | None = None,
        **save_options: Any,
    ) -> str:
        """Log ``model`` (a ``torch.nn.Module``) with the pytorch flavor, before returning.

        ``save_options`` go to ``runwell.pytorch.save_model`` (``input_example``,
        ``signature``, ``code_paths``, ``serialization_format``...).

        Returns:
            The model's URI, ``models:/<model id>``.
        """
        from runwell.pytorch import flavor

        scope = self._run()

        def save(path: str, mlmodel: Model) -> None:
            flavor.save_model(model, path, mlflow_model=mlmodel, **save_options)

        model_id = log_model_to_run(scope, name, save, registered_model_name=registered_model_name)
        return f"models:/{model_id}"

    def flush(self) -> None:
        """Wait until every metric and param logged so far is stored."""
        if self._buffer is not None:
            self._buffer.flush()
        else:
            worker.flush()

    def close(self, status: str = RunStatus.FINISHED.name) -> None:
        """Flush, and end the run if the logger started it (``status``: FINISHED, FAILED...)."""
        scope = self._scope
        self.flush()
        if scope is None or not scope.owned or self._closed:
            return
        self._closed = True
        fluent.end_run(status, run_id=scope.run_id)  # when it is active in this thread
        if scope.client.get_run(scope.run_id).info.status is RunStatus.RUNNING:
            scope.client.set_terminated(scope.run_id, status)  # started in another thread

    def __enter__(self) -> RunwellLogger:
        self._run()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(RunStatus.FAILED.name if exc_type is not None else RunStatus.FINISHED.name)
