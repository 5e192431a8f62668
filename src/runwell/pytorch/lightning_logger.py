"""``RunwellLightningLogger``: RunwellLogger as a Lightning ``Logger``.

    from runwell.pytorch import RunwellLightningLogger
    trainer = lightning.pytorch.Trainer(logger=RunwellLightningLogger(run_name="mlp"))
    trainer.fit(module, loader)

Lightning calls ``log_hyperparams`` with the module's hyperparameters when ``fit`` starts,
``log_metrics`` with its logged values (every ``log_every_n_steps`` steps and at epoch ends,
``epoch`` included, at the global step), and ``finalize`` when ``fit`` ends, which ends a run
the logger started (FINISHED, or FAILED when training failed). Only rank 0 logs.

This module imports Lightning (``lightning.pytorch``, else ``pytorch_lightning``), so
``runwell.pytorch`` loads it when the name is first used, not on ``import runwell.pytorch``.
With ``runwell.pytorch.autolog()`` on as well, one run gets both: the metrics this logger
receives from Lightning, and autolog's params, early stopping, summary and model.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from runwell.entities import RunStatus
from runwell.pytorch.logger import RunwellLogger

try:
    from lightning.pytorch.loggers import Logger
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # the standalone package only
    from pytorch_lightning.loggers import Logger  # type: ignore[assignment]
    from pytorch_lightning.utilities import rank_zero_only

# Lightning's finalize statuses -> run statuses.
_STATUSES = {"success": RunStatus.FINISHED.name, "failed": RunStatus.FAILED.name}


class RunwellLightningLogger(RunwellLogger, Logger):
    """A Lightning logger into a runwell run; arguments as for RunwellLogger."""

    def __init__(
        self,
        run_id: str | None = None,
        experiment_id: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        log_every_n_step: int | None = None,
    ) -> None:
        RunwellLogger.__init__(self, run_id, experiment_id, run_name, tags, log_every_n_step)
        Logger.__init__(self)

    @property
    def name(self) -> str:
        """The experiment id (Lightning's ``name``)."""
        return self.experiment_id

    @property
    def version(self) -> str:
        """The run id (Lightning's ``version``)."""
        return self.run_id

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        RunwellLogger.log_metrics(self, metrics, step)

    @rank_zero_only
    def log_hyperparams(
        self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        RunwellLogger.log_hyperparams(self, params)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        self.close(_STATUSES.get(status, RunStatus.FINISHED.name))
