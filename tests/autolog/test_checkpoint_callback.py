"""MlflowModelCheckpointCallback: real Lightning fits on CPU, checkpoints in the run's files."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import runwell
import runwell.pytorch
from runwell.errors import InvalidArgument
from tests.autolog.torch_builders import Regressor, loader, regression, trainer

LATEST_TAG = "mlflow.latest_checkpoint_artifact"

pytestmark = [  # Lightning's own notes on a tiny fit (no val loader, torch's pytree rename)
    pytest.mark.filterwarnings("ignore::lightning.fabric.utilities.warnings.PossibleUserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec:FutureWarning"),
]


def _fit(callback: Any, epochs: int = 3, validate: bool = True) -> str:
    """Fit the tiny regressor inside a run; the run's id."""
    X, y = regression()
    fitter = trainer(max_epochs=epochs, callbacks=[callback])
    with runwell.start_run() as run:
        if validate:
            fitter.fit(Regressor(), loader(X, y), loader(*regression(64, seed=1)))
        else:
            fitter.fit(Regressor(), loader(X, y))
    return str(run.info.run_id)


def _files(run_id: str, path: str = "checkpoints") -> list[str]:
    client = runwell.RunwellClient()
    out: list[str] = []
    for info in client.list_artifacts(run_id, path):
        out.extend(_files(run_id, info.path) if info.is_dir else [info.path])
    return sorted(out)


def _download(run_id: str, path: str, tmp_path: Path) -> str:
    return runwell.RunwellClient().download_artifacts(run_id, path, str(tmp_path))


def test_best_only_keeps_the_checkpoint_of_the_best_monitored_epoch(tmp_path: Path) -> None:
    callback = runwell.pytorch.MlflowModelCheckpointCallback()  # val_loss, min, best only
    run_id = _fit(callback)
    assert _files(run_id) == [
        "checkpoints/latest_checkpoint.pth",
        "checkpoints/latest_checkpoint_metrics.json",
    ]
    run = runwell.get_run(run_id)
    assert run.data.tag_dict[LATEST_TAG] == "checkpoints/latest_checkpoint.pth"
    metrics_path = _download(run_id, "checkpoints/latest_checkpoint_metrics.json", tmp_path)
    metrics = json.loads(Path(metrics_path).read_text())
    assert metrics["val_loss"] == pytest.approx(callback.last_monitor_value)
    assert {"epoch", "global_step", "train_loss_epoch"} <= set(metrics)
    checkpoint_path = _download(run_id, "checkpoints/latest_checkpoint.pth", tmp_path)
    checkpoint = torch.load(checkpoint_path, weights_only=False)
    assert checkpoint["epoch"] == metrics["epoch"] and "optimizer_states" in checkpoint
    restored = Regressor()
    restored.load_state_dict(checkpoint["state_dict"])  # a real, loadable Lightning checkpoint


def test_every_epoch_gets_its_own_weights_only_checkpoint(tmp_path: Path) -> None:
    callback = runwell.pytorch.MlflowModelCheckpointCallback(
        save_best_only=False, save_weights_only=True
    )
    run_id = _fit(callback, epochs=2, validate=False)
    assert _files(run_id) == [
        "checkpoints/epoch_0/checkpoint.weights.pth",
        "checkpoints/epoch_0/checkpoint_metrics.json",
        "checkpoints/epoch_1/checkpoint.weights.pth",
        "checkpoints/epoch_1/checkpoint_metrics.json",
    ]
    tag = runwell.get_run(run_id).data.tag_dict[LATEST_TAG]
    assert tag == "checkpoints/epoch_1/checkpoint.weights.pth"
    weights = torch.load(_download(run_id, tag, tmp_path), weights_only=False)
    assert "state_dict" in weights and "optimizer_states" not in weights


def test_save_freq_in_batches_names_folders_by_global_step() -> None:
    callback = runwell.pytorch.MlflowModelCheckpointCallback(save_best_only=False, save_freq=3)
    run_id = _fit(callback, epochs=2, validate=False)  # 4 steps an epoch: steps 3 and 6
    assert _files(run_id) == [
        "checkpoints/global_step_3/checkpoint.pth",
        "checkpoints/global_step_3/checkpoint_metrics.json",
        "checkpoints/global_step_6/checkpoint.pth",
        "checkpoints/global_step_6/checkpoint_metrics.json",
    ]


def test_max_mode_saves_only_when_the_metric_rises() -> None:
    callback = runwell.pytorch.MlflowModelCheckpointCallback(monitor="score", mode="max")
    with runwell.start_run() as run:
        callback.trainer = None  # the metric check comes before any save
        callback.last_monitor_value = 0.9
        callback.check_and_save_checkpoint_if_needed(0, 4, {"score": 0.5})
    assert callback.last_monitor_value == 0.9
    assert _files(run.info.run_id) == []


def test_a_missing_monitored_metric_logs_no_checkpoint(caplog: pytest.LogCaptureFixture) -> None:
    callback = runwell.pytorch.MlflowModelCheckpointCallback(monitor="val_accuracy")
    with caplog.at_level(logging.WARNING, logger="runwell.pytorch.checkpoint"):
        run_id = _fit(callback, epochs=1)
    assert _files(run_id) == []
    assert "val_accuracy" in caplog.text and LATEST_TAG not in runwell.get_run(run_id).data.tags


def test_bad_settings_are_refused_by_name() -> None:
    make = runwell.pytorch.MlflowModelCheckpointCallback
    with pytest.raises(InvalidArgument, match="Invalid monitor"):
        make(monitor=None)
    with pytest.raises(InvalidArgument, match="Invalid mode 'up'"):
        make(mode="up")
    with pytest.raises(InvalidArgument, match="Invalid save_freq 0"):
        make(save_freq=0)
    with pytest.raises(InvalidArgument, match="Invalid save_freq 'step'"):
        make(save_freq="step")
    make(monitor=None, save_best_only=False, mode="whatever")  # mode matters only for best-only


def test_the_callback_loads_lightning_only_when_first_used() -> None:
    code = (
        "import sys, runwell.pytorch; before = 'lightning' in sys.modules; "
        "cls = runwell.pytorch.MlflowModelCheckpointCallback; "
        "import lightning.pytorch as L; print(before, issubclass(cls, L.Callback))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
