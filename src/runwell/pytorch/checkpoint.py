"""``MlflowModelCheckpointCallback``: Lightning checkpoints logged to the active run.

    from runwell.pytorch import MlflowModelCheckpointCallback
    trainer = lightning.pytorch.Trainer(callbacks=[MlflowModelCheckpointCallback()])
    with runwell.start_run():
        trainer.fit(module, loader)

The files and names are MLflow's, so either tool reads the other's checkpoints:

- ``save_best_only`` (default): ``checkpoints/latest_checkpoint.pth`` and
  ``checkpoints/latest_checkpoint_metrics.json``, replaced whenever ``monitor`` improves;
- else one folder a save: ``checkpoints/epoch_<n>/`` (``save_freq="epoch"``) or
  ``checkpoints/global_step_<n>/`` (every ``save_freq`` batches), holding ``checkpoint.pth``
  and ``checkpoint_metrics.json`` (the trainer's metrics, ``epoch`` and ``global_step``).

``save_weights_only`` leaves optimizer and scheduler states out (``checkpoint.weights.pth``).
The run tag ``mlflow.latest_checkpoint_artifact`` names the newest checkpoint file. A failure
to log is reported (WARNING) and training goes on. This module imports Lightning
(``lightning.pytorch``, else ``pytorch_lightning``); ``runwell.pytorch`` loads it on first use.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from runwell.errors import InvalidArgument
from runwell.tracking import fluent, fluent_artifacts

try:
    from lightning.pytorch import Callback
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # the standalone package only
    from pytorch_lightning import Callback  # type: ignore[assignment]
    from pytorch_lightning.utilities import rank_zero_only

_logger = logging.getLogger(__name__)

LATEST_CHECKPOINT_TAG = "mlflow.latest_checkpoint_artifact"
CHECKPOINT_DIR = "checkpoints"
_MODEL_FILE = "checkpoint"
_METRICS_FILE = "checkpoint_metrics.json"
_LATEST = "latest_"
_WEIGHTS = ".weights"
_SUFFIX = ".pth"


class MlflowModelCheckpointCallback(Callback):
    """Log checkpoints of a Lightning fit to the active run, as MLflow's callback does.

    Args:
        monitor: the metric (a key of ``trainer.callback_metrics``) that ``save_best_only``
            compares.
        mode: ``"min"`` or ``"max"``: which way ``monitor`` improves.
        save_best_only: keep one checkpoint, replaced when ``monitor`` improves.
        save_weights_only: leave optimizer and scheduler states out of the checkpoint.
        save_freq: ``"epoch"`` (at each epoch end) or every this many training batches.

    Raises:
        InvalidArgument: ``save_best_only`` without ``monitor``, a ``mode`` other than
            ``"min"``/``"max"``, or a ``save_freq`` that is neither ``"epoch"`` nor a positive int.
    """

    def __init__(
        self,
        monitor: str | None = "val_loss",
        mode: str = "min",
        save_best_only: bool = True,
        save_weights_only: bool = False,
        save_freq: str | int = "epoch",
    ) -> None:
        super().__init__()
        if save_best_only and not monitor:
            raise InvalidArgument("Invalid monitor: save_best_only=True needs a metric to monitor.")
        if save_best_only and mode not in ("min", "max"):
            raise InvalidArgument(f"Invalid mode {mode!r}: expected 'min' or 'max'.")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise InvalidArgument(
                f"Invalid save_freq {save_freq!r}: expected 'epoch' or a positive number "
                "of batches."
            )
        self.monitor = monitor
        self.mode = mode
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.last_monitor_value: float | None = None
        # Read here, in the driver: a worker process gets the pickled callback and logs there.
        self.tracking_uri = fluent.get_tracking_uri()
        self.trainer: Any = None

    @rank_zero_only
    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self.trainer = trainer

    @rank_zero_only
    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if isinstance(self.save_freq, int) and step > 0 and step % self.save_freq == 0:
            self.check_and_save_checkpoint_if_needed(trainer.current_epoch, step, _metrics(trainer))

    @rank_zero_only
    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.save_freq == "epoch":
            self.check_and_save_checkpoint_if_needed(
                trainer.current_epoch, trainer.global_step, _metrics(trainer)
            )

    def save_checkpoint(self, filepath: str) -> None:
        # Not trainer.save_checkpoint: it waits at a barrier that the other ranks of a
        # distributed fit never reach, since only rank 0 runs this callback (as MLflow notes).
        checkpoint = self.trainer._checkpoint_connector.dump_checkpoint(self.save_weights_only)
        self.trainer.strategy.save_checkpoint(checkpoint, filepath)

    def check_and_save_checkpoint_if_needed(
        self, current_epoch: int, global_step: int, metric_dict: dict[str, float]
    ) -> None:
        """Log a checkpoint now unless ``save_best_only`` finds it no better than the last."""
        if self.save_best_only:
            assert self.monitor is not None
            if self.monitor not in metric_dict:
                _logger.warning(
                    "No checkpoint logged: save_best_only compares %r, which the trainer's "
                    "metrics (%s) do not hold.",
                    self.monitor,
                    sorted(metric_dict),
                )
                return
            value = metric_dict[self.monitor]
            if not self._better(value):
                return
            self.last_monitor_value = value
        try:
            self._log(current_epoch, global_step, metric_dict)
        except Exception as exc:  # a failed upload must not end the training
            _logger.warning("Could not log the checkpoint of epoch %s: %s", current_epoch, exc)

    def _better(self, value: float) -> bool:
        if self.last_monitor_value is None:
            return True
        if self.mode == "min":
            return value < self.last_monitor_value
        return value > self.last_monitor_value

    def _log(self, current_epoch: int, global_step: int, metric_dict: dict[str, float]) -> None:
        weights = _WEIGHTS if self.save_weights_only else ""
        if self.save_best_only:
            directory = CHECKPOINT_DIR
            model_file = f"{_LATEST}{_MODEL_FILE}{weights}{_SUFFIX}"
            metrics_file = f"{_LATEST}{_METRICS_FILE}"
        else:
            where = (
                f"epoch_{current_epoch}"
                if self.save_freq == "epoch"
                else f"global_step_{global_step}"
            )
            directory = f"{CHECKPOINT_DIR}/{where}"
            model_file = f"{_MODEL_FILE}{weights}{_SUFFIX}"
            metrics_file = _METRICS_FILE
        fluent.set_tracking_uri(self.tracking_uri)
        fluent.set_tag(LATEST_CHECKPOINT_TAG, f"{directory}/{model_file}")
        fluent_artifacts.log_dict(
            {**metric_dict, "epoch": current_epoch, "global_step": global_step},
            f"{directory}/{metrics_file}",
        )
        with tempfile.TemporaryDirectory(prefix="runwell-checkpoint-") as tmp:
            path = os.path.join(tmp, model_file)
            self.save_checkpoint(path)
            fluent_artifacts.log_artifact(path, directory)


def _metrics(trainer: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in trainer.callback_metrics.items()}
