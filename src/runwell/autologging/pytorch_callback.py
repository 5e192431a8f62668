"""What an autologged Lightning fit records, from the callback the patched ``fit`` adds.

``Recorder`` holds the callback's hooks; ``callback_class(base)`` mixes it into the
``Callback`` class of the package the trainer comes from (``lightning.pytorch`` or
``pytorch_lightning``), so the trainer sees a callback of its own kind. What it records:

- at train start, the params: ``epochs`` (and ``max_steps`` when set), ``optimizer_name`` and
  the first optimizer's ``defaults`` (``lr``, ``betas`` ...), an EarlyStopping's ``monitor``,
  ``mode``, ``patience`` and ``min_delta``, and the module's ``hparams`` (nested mappings
  flattened with ``/``, as Lightning's loggers do);
- at the end of every ``log_every_n_epoch``-th training epoch, each number in
  ``trainer.callback_metrics`` (training and validation, not the ``*_step`` values) at
  step = the epoch; with ``log_every_n_step``, every n-th optimizer step's logged values at
  step = the global step;
- after ``fit``, EarlyStopping's ``stopped_epoch``, ``wait_count`` and ``best_score`` as
  metrics, then (``model_job``, in autolog's background thread) the training and validation
  data of a ``TensorDataset`` as run inputs, ``model_summary.txt`` and the model ``model``.

A hook never raises: the trainer would stop the user's training. Its error is reported once
as autolog's warning and the hook skips its work. Values go through a MetricBuffer, so a
hook costs the loop a dict copy, not a device sync or a store write.
"""

from __future__ import annotations

import copy
import functools
from argparse import Namespace
from collections.abc import Callable, Mapping
from typing import Any

from runwell.autologging import patching, worker
from runwell.autologging.config import AutologConfig
from runwell.autologging.metric_buffer import MetricBuffer
from runwell.autologging.models import log_model_to_run
from runwell.autologging.session import RunScope
from runwell.entities import DatasetInput, InputTag, Param, RunTag
from runwell.models.model import Model
from runwell.store import validation

NAME = "pytorch"
SUMMARY_FILE = "model_summary.txt"
EXAMPLE_ROWS = 5
DATASET_CONTEXT = "mlflow.data.context"


def param_values(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Param texts of ``params``; nested mappings and Namespaces flattened with ``/``.

    Keys a run cannot hold (characters, length) are left out.
    """
    found: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Namespace):
            value = vars(value)
        if isinstance(value, Mapping) and value:
            found.update(param_values(value, f"{name}/"))
        elif validation.valid_key(name):
            found[name] = validation.param_value(value, name)
    return found


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return True
    numel = getattr(value, "numel", None)
    return callable(numel) and hasattr(value, "detach") and numel() == 1


def numbers(values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries that are numbers or one-element tensors."""
    return {str(k): v for k, v in values.items() if _is_number(v)}


def early_stoppers(trainer: Any) -> list[Any]:
    return list(getattr(trainer, "early_stopping_callbacks", None) or [])


def fit_params(trainer: Any, module: Any) -> dict[str, str]:
    """The params of one fit (see the module docstring)."""
    params: dict[str, Any] = {"epochs": trainer.max_epochs}
    if trainer.max_steps not in (None, -1):
        params["max_steps"] = trainer.max_steps
    optimizers = list(trainer.optimizers or [])
    if optimizers:
        params["optimizer_name"] = type(optimizers[0]).__name__
        params.update(getattr(optimizers[0], "defaults", {}))
    for stopper in early_stoppers(trainer)[:1]:
        for name in ("monitor", "mode", "patience", "min_delta"):
            params[name] = getattr(stopper, name, None)
    hparams = getattr(module, "hparams", None)
    if isinstance(hparams, Mapping):
        params.update(hparams)
    return param_values(params)


def step_metrics(trainer: Any) -> dict[str, Any]:
    """The values Lightning would hand its loggers at this step."""
    try:
        # The logger connector's view is the only one that tells a step value from an epoch
        # value under a bare name (``self.log("loss", ...)`` in training_step); it is private,
        # so any change falls back to the public ``*_step`` names.
        logged = trainer._logger_connector.metrics["log"]
    except Exception:
        logged = {k: v for k, v in trainer.callback_metrics.items() if str(k).endswith("_step")}
    return numbers(logged)


def epoch_metrics(trainer: Any) -> dict[str, Any]:
    values = trainer.callback_metrics
    return numbers({k: v for k, v in values.items() if not str(k).endswith("_step")})


def early_stop_metrics(trainer: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for stopper in early_stoppers(trainer)[:1]:
        found = {
            "stopped_epoch": getattr(stopper, "stopped_epoch", None),
            "wait_count": getattr(stopper, "wait_count", None),
            "best_score": getattr(stopper, "best_score", None),
        }
    return numbers(found)


def _first_rows(batch: Any) -> Any:
    """The first rows of a batch's input (``x`` of ``(x, y)``) as an ndarray, or None."""
    value = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
    if not (hasattr(value, "detach") and hasattr(value, "shape") and len(value.shape) > 0):
        return None
    return value[:EXAMPLE_ROWS].detach().cpu().numpy().copy()


def _tensor_dataset(loader: Any) -> Any:
    import torch.utils.data

    dataset = getattr(loader, "dataset", None)
    return dataset if isinstance(dataset, torch.utils.data.TensorDataset) else None


class Recorder:
    """The callback's hooks (see the module docstring); Lightning calls them in ``fit``."""

    def __init__(self, scope: RunScope, settings: AutologConfig, buffer: MetricBuffer) -> None:
        self.scope = scope
        self.settings = settings
        self.buffer = buffer
        self.every_epoch: int = settings.option("log_every_n_epoch")
        self.every_step: int | None = settings.option("log_every_n_step")
        self.wants_example = settings.log_models and (
            settings.log_input_examples or settings.log_model_signatures
        )
        self.log_metrics = True  # epoch and step metrics (a RunwellLightningLogger has them)
        self.example: Any = None
        self.datasets: list[tuple[Any, str]] = []
        self._last_step = -1

    def __reduce__(self) -> tuple[Any, ...]:
        # A trainer sent to other processes (strategy="ddp_spawn" pickles it) takes an inert
        # copy: the run's client and store belong to this process.
        return (inert_callback, (getattr(self, "lightning_base", object),))

    def _safely(self, what: str, action: Callable[..., Any], *args: Any) -> None:
        if self.__dict__.get("inert"):
            return
        try:
            action(*args)
        except Exception as exc:
            patching.report_failure(NAME, what, exc)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._safely("logging the params", self._log_params, trainer, pl_module)
        self._safely("reading the datasets", self._read_datasets, trainer)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self._safely("logging step metrics", self._batch_end, trainer, batch)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._safely("logging epoch metrics", self._epoch_end, trainer)

    def finish(self, trainer: Any) -> None:
        """After ``fit``: the early-stopping metrics, then everything handed off."""
        self._safely("logging early stopping", self._log_values, early_stop_metrics, trainer, 0)
        self._safely("handing off metrics", self.buffer.hand_off)

    def _batch_end(self, trainer: Any, batch: Any) -> None:
        if self.wants_example and self.example is None:
            self.wants_example = False  # one try, whatever happens
            self._safely("taking an input example", self._take_example, batch)
        step = trainer.global_step
        if (
            self.log_metrics
            and self.every_step
            and step != self._last_step
            and step % self.every_step == 0
        ):
            self._last_step = step  # several batches per step when gradients accumulate
            self._log_values(step_metrics, trainer, step)

    def _epoch_end(self, trainer: Any) -> None:
        epoch = trainer.current_epoch
        if self.log_metrics and (epoch + 1) % self.every_epoch == 0:
            self._log_values(epoch_metrics, trainer, epoch)

    def _log_values(self, read: Callable[[Any], dict[str, Any]], trainer: Any, step: int) -> None:
        values = read(trainer)
        if values:
            self.buffer.add(values, step=step)

    def _log_params(self, trainer: Any, pl_module: Any) -> None:
        params = [Param(key=k, value=v) for k, v in fit_params(trainer, pl_module).items()]
        tags = (
            []
            if self.scope.owned
            else [RunTag(key=k, value=v) for k, v in self.settings.extra_tags.items()]
        )
        client, run_id = self.scope.client, self.scope.run_id
        job = functools.partial(client.log_batch, run_id, (), params, tags, synchronous=True)
        worker.submit(NAME, "logging the params", job)

    def _take_example(self, batch: Any) -> None:
        self.example = _first_rows(batch)

    def _read_datasets(self, trainer: Any) -> None:
        if not self.settings.log_datasets:
            return
        train = _tensor_dataset(trainer.train_dataloader)
        if train is not None:
            self.datasets.append((train, "train"))
        evaluation = trainer.val_dataloaders
        loaders = evaluation if isinstance(evaluation, (list, tuple)) else [evaluation]
        for loader in loaders:
            found = _tensor_dataset(loader)
            if found is not None:
                self.datasets.append((found, "eval"))


@functools.cache
def callback_class(base: type) -> type:
    """The autolog callback for the trainers of ``base``'s package (its ``Callback``)."""
    return type("RunwellAutologCallback", (Recorder, base), {"lightning_base": base})


def inert_callback(base: type) -> Any:
    """An autolog callback that records nothing: what a pickled one becomes."""
    callback: Any = object.__new__(callback_class(base))
    callback.__dict__["inert"] = True
    return callback


def snapshot(module: Any) -> Any:
    """A copy of a module whose weights are all on the CPU; None for one on an accelerator
    (a copy there could exhaust its memory) or one that cannot be copied."""
    try:
        tensors = [*module.parameters(), *module.buffers()]
        if any(t.device.type != "cpu" for t in tensors):
            return None
        return copy.deepcopy(module)
    except Exception:
        return None


def model_job(
    scope: RunScope,
    settings: AutologConfig,
    module: Any,
    example: Any,
    datasets: list[tuple[Any, str]],
    summary: Callable[[Any], str],
) -> None:
    """The end of a fit, in autolog's background thread: datasets, summary, model."""
    client, run_id = scope.client, scope.run_id
    for dataset, context in datasets:
        what = f"logging the {context} dataset"
        _attempt(what, functools.partial(_log_dataset, scope, dataset, context))
    _attempt(
        "logging the model summary", lambda: client.log_text(run_id, summary(module), SUMMARY_FILE)
    )
    if settings.log_models:
        _attempt("logging the model", lambda: log_module(scope, settings, module, example))


def _attempt(what: str, action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception as exc:
        patching.report_failure(NAME, what, exc)


def _log_dataset(scope: RunScope, dataset: Any, context: str) -> None:
    from runwell import data

    tensors = dataset.tensors
    features = tensors[0].detach().cpu().numpy()
    targets = tensors[1].detach().cpu().numpy() if len(tensors) > 1 else None
    found = data.from_numpy(features, targets=targets)
    used = DatasetInput(dataset=found, tags=(InputTag(key=DATASET_CONTEXT, value=context),))
    scope.client.log_inputs(scope.run_id, [used])


def log_module(scope: RunScope, settings: AutologConfig, module: Any, example: Any) -> str:
    """Log ``module`` with the pytorch flavor as the run's logged model ``model``."""
    from runwell.models.signature import signature_from_example
    from runwell.pytorch import flavor
    from runwell.pytorch.wrapper import PyTorchModelWrapper

    signature = None
    if example is not None and settings.log_model_signatures and not settings.log_input_examples:
        signature = signature_from_example(PyTorchModelWrapper(module).predict, example)

    def save(path: str, model: Model) -> None:
        flavor.save_model(
            module,
            path,
            signature=signature,
            input_example=example if settings.log_input_examples else None,
            mlflow_model=model,
        )

    registered = settings.option("registered_model_name")
    return log_model_to_run(scope, "model", save, registered_model_name=registered)
