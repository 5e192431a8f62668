"""Tiny PyTorch and Lightning models and data for the pytorch autolog tests (CPU, seconds)."""

from __future__ import annotations

import threading
from typing import Any

import lightning.pytorch as L
import torch
from torch.utils.data import DataLoader, TensorDataset

ROWS = 256
BATCH = 64  # 4 optimizer steps per epoch
WEIGHTS = torch.tensor([[1.0], [-2.0], [0.5], [0.0]])


def regression(rows: int = ROWS, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """X (rows x 4, float32) and y = X @ WEIGHTS + noise."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(rows, 4, generator=generator)
    return X, X @ WEIGHTS + 0.05 * torch.randn(rows, 1, generator=generator)


def loader(X: torch.Tensor, y: torch.Tensor) -> DataLoader[Any]:
    return DataLoader(TensorDataset(X, y), batch_size=BATCH)


class Regressor(L.LightningModule):
    """A two-layer MLP; logs ``train_loss`` per step and per epoch, ``val_loss`` per epoch."""

    def __init__(self, lr: float = 0.05, hidden: int = 8) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams["lr"])


class Unreadable:
    """A hyperparameter whose text cannot be read."""

    def __str__(self) -> str:
        raise RuntimeError("this value has no text")

    __repr__ = __str__


class Unsavable(Regressor):
    """A regressor holding a lock (no copy, no pickle) and an hparam without text."""

    def __init__(self) -> None:
        super().__init__()
        self.hparams["odd"] = Unreadable()
        self.guard = threading.Lock()


def trainer(**options: Any) -> L.Trainer:
    """A quiet CPU trainer: no logger, checkpoints, progress bar or summary of its own."""
    defaults: dict[str, Any] = {
        "max_epochs": 3,
        "accelerator": "cpu",
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
    }
    return L.Trainer(**{**defaults, **options})
