"""PyTorch Lightning autologging: ``runwell.pytorch.autolog()`` (or ``runwell.autolog()``).

    import runwell.pytorch
    runwell.pytorch.autolog(log_every_n_step=10)
    trainer = lightning.pytorch.Trainer(max_epochs=20, callbacks=[EarlyStopping("val_loss")])
    trainer.fit(module, train_loader, val_loader)  # params, metrics per epoch, model
    runwell.autologging.flush()

``Trainer.fit`` is patched in both packages Lightning ships as: ``lightning`` (integration
``pytorch``, patching ``lightning.pytorch.Trainer``) and the standalone
``pytorch_lightning`` (integration ``pytorch_lightning``). ``runwell.pytorch.autolog``
configures both with the same settings; each is patched when its package is imported (at
once when it already is), so this never imports a Lightning the script does not use. Runs
autolog starts carry ``mlflow.autologging=pytorch`` either way.

Inside the user's ``fit``, autolog picks the run (session.py), adds a callback for the
call's duration (pytorch_callback.py says what it records) and, after ``fit``, copies the
trained module (deep copy, when its weights are on the CPU) for autolog's background
thread, which logs the datasets, ``model_summary.txt`` and the model with the pytorch
flavor. A module on an accelerator, or one that cannot be copied, is logged before ``fit``
returns. Only rank 0 of a distributed fit logs.

A trainer whose logger is a ``runwell.pytorch.RunwellLightningLogger`` logs into that
logger's run (which is the user's: ``exclusive`` keeps autolog out of it); the metrics are
then the logger's, from Lightning, and autolog adds the rest. Plain PyTorch loops have no
``fit`` to patch: they log through ``runwell.pytorch.RunwellLogger``.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from runwell.autologging import (
    config,
    import_hooks,
    integrations,
    patching,
    session,
    versions,
    worker,
)
from runwell.autologging import pytorch_callback as record
from runwell.autologging.metric_buffer import MetricBuffer
from runwell.errors import InvalidArgument

NAME = "pytorch"
LIGHTNING_NAMES = ("pytorch", "pytorch_lightning")
WHAT = "logging the fit"

# The Lightning releases tested; both packages are released together, with one version.
versions.set_supported_range("lightning", "2.4", "2.6")
versions.set_supported_range("pytorch_lightning", "2.4", "2.6")


class LightningIntegration(integrations.Integration):
    """``lightning.pytorch.Trainer.fit``."""

    name = "pytorch"
    library = "lightning"
    extra_defaults = {
        "log_every_n_epoch": 1,
        "log_every_n_step": None,
        "registered_model_name": None,
    }

    def check(self, settings: config.AutologConfig) -> None:
        every_epoch = settings.option("log_every_n_epoch")
        if not _is_count(every_epoch):
            raise InvalidArgument(
                f"Invalid autolog option 'log_every_n_epoch': expected a whole number >= 1, "
                f"got {every_epoch!r}."
            )
        every_step = settings.option("log_every_n_step")
        if every_step is not None and not _is_count(every_step):
            raise InvalidArgument(
                f"Invalid autolog option 'log_every_n_step': expected None or a whole number "
                f">= 1, got {every_step!r}."
            )
        registered = settings.option("registered_model_name")
        if registered is not None and (not isinstance(registered, str) or not registered):
            raise InvalidArgument(
                f"Invalid autolog option 'registered_model_name': expected None or a model "
                f"name, got {registered!r}."
            )

    def package(self, module: ModuleType) -> ModuleType:
        """The module holding ``Trainer`` and ``Callback``."""
        return importlib.import_module("lightning.pytorch")

    def install(self, patches: patching.Patches, module: ModuleType) -> None:
        package = self.package(module)
        hook = functools.partial(_fit_hook, self, package)
        patches.wrap(package.Trainer, "fit", hook)


class PytorchLightningIntegration(LightningIntegration):
    """``pytorch_lightning.Trainer.fit`` (the standalone package)."""

    name = "pytorch_lightning"
    library = "pytorch_lightning"

    def package(self, module: ModuleType) -> ModuleType:
        return module


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


INTEGRATION = LightningIntegration()
PYTORCH_LIGHTNING = PytorchLightningIntegration()


def autolog(
    log_every_n_epoch: int = 1,
    log_every_n_step: int | None = None,
    log_models: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
    synchronous: bool = False,
) -> None:
    """Turn Lightning autologging on (or off with ``disable=True``); see the module.

    Args:
        log_every_n_epoch: log the epoch metrics every n epochs (step = epoch).
        log_every_n_step: also log the step metrics every n optimizer steps (step = global
            step); None: no step metrics.
        log_models: log the trained module as the run's model ``model``.
        log_input_examples: save the first rows of the first training batch with it.
        log_model_signatures: infer its signature from those rows.
        log_datasets: record ``TensorDataset`` training/validation data as run inputs.
        disable: undo the patches; nothing is logged any more.
        exclusive: never log into a run the user started.
        silent: no warnings from autolog itself.
        registered_model_name: register each logged model under this name.
        extra_tags: tags for the runs autolog starts (and for a user run it logs into).
        synchronous: log the model before ``fit`` returns.

    Raises:
        InvalidArgument: an option of the wrong type or range.
    """
    configure(dict(locals()))


def configure(options: Mapping[str, Any]) -> None:
    """Store the settings of both Lightning integrations; patch the imported packages."""
    found = [integrations.get(name) for name in LIGHTNING_NAMES]
    settings = config.build(NAME, options, INTEGRATION.extra_defaults)
    INTEGRATION.check(settings)
    present = [i for i in found if _installed(i.library)]
    for integration in present:
        config.set_config(integration.name, settings)
        if settings.disable:
            import_hooks.cancel(integration.library)
            integrations.uninstall(integration.name)
        else:
            import_hooks.when_imported(
                integration.library, functools.partial(_turn_on, integration)
            )
    if not present and not settings.disable:
        config.set_config(NAME, settings)
        patching.warn(
            NAME,
            "runwell.pytorch.autolog: neither lightning nor pytorch_lightning is installed, so "
            "there is no Trainer.fit to autolog; log a plain PyTorch loop with "
            "runwell.pytorch.RunwellLogger.",
        )


def _installed(library: str) -> bool:
    if library in sys.modules:
        return True
    try:
        return importlib.util.find_spec(library) is not None
    except (ImportError, ValueError):
        return False


def _turn_on(integration: integrations.Integration, module: ModuleType) -> None:
    try:
        integrations.turn_on(integration, module)
    except Exception as exc:  # the user's import of Lightning must succeed
        patching.report_failure(NAME, "turning on", exc)


# ---------------------------------------------------------------- the fit hook


def _fit_hook(
    integration: LightningIntegration,
    package: ModuleType,
    original: Any,
    trainer: Any,
    *args: Any,
    **kwargs: Any,
) -> Any:
    settings = config.get_config(integration.name) or config.AutologConfig()
    if getattr(trainer, "global_rank", 0) != 0:
        return original(trainer, *args, **kwargs)
    logger = _runwell_logger(trainer)
    if logger is not None:  # the user's logger has a run: log into it, exclusive or not
        scope = None if settings.exclusive else logger.autolog_scope()
    else:
        scope = session.begin(NAME, settings)
    if scope is None:
        return original(trainer, *args, **kwargs)
    try:
        buffer = MetricBuffer(scope.client, scope.run_id, NAME)
        callback = record.callback_class(package.Callback)(scope, settings, buffer)
        callback.log_metrics = logger is None  # else the logger gets them from Lightning
        trainer.callbacks.append(callback)
    except BaseException:
        # No callback, no autolog: the run it started is ended, and the wrapper reports the
        # error and trains without autolog.
        session.end(scope, failed=True)
        raise
    try:
        result = original(trainer, *args, **kwargs)
    except BaseException:
        _detach(trainer, callback)
        try:
            buffer.hand_off()
            session.end(scope, failed=True)
        except Exception as exc:
            patching.report_failure(NAME, "ending the run", exc)
        raise
    _detach(trainer, callback)
    inline = True
    try:
        callback.finish(trainer)
        module = trainer.lightning_module
        copy = record.snapshot(module)
        inline = settings.synchronous or copy is None
        summary = functools.partial(_summary, package)
        job = functools.partial(
            record.model_job,
            scope,
            settings,
            module if copy is None else copy,
            callback.example,
            callback.datasets,
            summary,
        )
        if inline:
            worker.submit(NAME, WHAT, job, synchronous=True)
    finally:
        session.end(scope)
    if not inline:
        # Queued once the run has ended: ending it does not wait for the model's upload.
        worker.submit(NAME, WHAT, job)
    return result


def _runwell_logger(trainer: Any) -> Any:
    """The trainer's RunwellLightningLogger, if it has one."""
    for found in getattr(trainer, "loggers", None) or []:
        if callable(getattr(found, "autolog_scope", None)):
            return found
    return None


def _detach(trainer: Any, callback: Any) -> None:
    try:
        trainer.callbacks.remove(callback)
    except ValueError:
        pass


def _summary(package: ModuleType, module: Any) -> str:
    summaries = importlib.import_module(f"{package.__name__}.utilities.model_summary")
    return str(summaries.ModelSummary(module, max_depth=-1))
