"""Lightning autologging: what an autologged ``Trainer.fit`` records, and how it stays safe."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import lightning
import lightning.pytorch as L
import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import EarlyStopping

import runwell
import runwell.pyfunc
import runwell.pytorch
from runwell.autologging import integrations, patching, versions
from runwell.entities import LoggedModelStatus, RunStatus
from runwell.errors import InvalidArgument
from runwell.models import Model
from runwell.models.uri import download_model
from tests.autolog.conftest import all_runs, only_run
from tests.autolog.torch_builders import Regressor, Unsavable, loader, regression, trainer

# Lightning's own notes on tiny CPU fits (few workers, few batches), and torch's deprecation
# of an API that Lightning still uses.
pytestmark = [
    pytest.mark.filterwarnings("ignore::lightning.fabric.utilities.warnings.PossibleUserWarning"),
    pytest.mark.filterwarnings("ignore::lightning_fabric.utilities.warnings.PossibleUserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec:FutureWarning"),
]


@pytest.fixture(autouse=True)
def _lightning_ranges() -> Iterator[None]:
    declared = {lib: versions.supported_range(lib) for lib in ("lightning", "pytorch_lightning")}
    yield
    runwell.autologging.flush()
    runwell.autolog(disable=True)
    for library, found in declared.items():
        versions.set_supported_range(library, found.minimum, found.maximum)


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    points = runwell.RunwellClient().get_metric_history(run_id, key)
    return [(m.step, m.value) for m in points]


def model_id(run_id: str) -> str:
    (output,) = runwell.RunwellClient().get_run(run_id).outputs.model_outputs
    return output.model_id


def test_fit_logs_params_epoch_and_step_metrics_with_their_steps() -> None:
    X, y = regression()
    runwell.pytorch.autolog(log_every_n_step=2, log_models=False)
    module = Regressor(lr=0.02, hidden=6)
    fitter = trainer(max_epochs=3)
    fitter.fit(module, loader(X, y), loader(*regression(64, seed=1)))

    run = only_run()
    assert run.info.status == RunStatus.FINISHED
    assert run.data.tag_dict["mlflow.autologging"] == "pytorch"
    params = run.data.param_dict
    assert params["epochs"] == "3" and params["optimizer_name"] == "Adam"
    assert params["lr"] == "0.02" and params["hidden"] == "6"
    assert params["betas"] == "(0.9, 0.999)" and params["weight_decay"] == "0"
    run_id = run.info.run_id
    val = history(run_id, "val_loss")
    assert [step for step, _ in val] == [0, 1, 2]
    assert val[-1][1] == pytest.approx(float(fitter.callback_metrics["val_loss"]))
    epoch = history(run_id, "train_loss_epoch")
    assert [step for step, _ in epoch] == [0, 1, 2] and epoch[0][1] > epoch[-1][1]
    steps = history(run_id, "train_loss_step")  # global steps 1..12, every second one
    assert [step for step, _ in steps] == [2, 4, 6, 8, 10, 12]
    assert steps[-1][1] == pytest.approx(float(fitter.callback_metrics["train_loss_step"]))
    summary = runwell.RunwellClient().download_artifacts(run_id, "model_summary.txt")
    with open(summary) as handle:
        assert "Sequential" in handle.read()


def test_log_every_n_epoch_skips_epochs_and_step_metrics_are_off_by_default() -> None:
    X, y = regression()
    runwell.pytorch.autolog(log_every_n_epoch=2, log_models=False)
    trainer(max_epochs=4).fit(Regressor(), loader(X, y))
    run = only_run()
    assert [step for step, _ in history(run.info.run_id, "train_loss_epoch")] == [1, 3]
    assert "train_loss_step" not in run.data.metric_dict


def test_early_stopping_is_logged_as_params_and_metrics() -> None:
    X, y = regression()
    runwell.pytorch.autolog(log_models=False)
    # No improvement of 100 is possible: training stops once patience runs out.
    stopper = EarlyStopping("val_loss", min_delta=100.0, patience=2)
    fitter = trainer(max_epochs=20, callbacks=[stopper])
    fitter.fit(Regressor(), loader(X, y), loader(X, y))

    run = only_run()
    params = run.data.param_dict
    assert (params["monitor"], params["mode"], params["patience"]) == ("val_loss", "min", "2")
    metrics = run.data.metric_dict
    assert stopper.stopped_epoch > 0 and fitter.current_epoch < 20
    assert metrics["stopped_epoch"] == stopper.stopped_epoch
    assert metrics["wait_count"] == stopper.wait_count
    assert metrics["best_score"] == pytest.approx(float(stopper.best_score))
    assert len(history(run.info.run_id, "val_loss")) == stopper.stopped_epoch + 1


def test_the_logged_model_predicts_like_the_trained_one_and_is_registered() -> None:
    X, y = regression()
    runwell.pytorch.autolog(log_input_examples=True, registered_model_name="lightning-mlp")
    module = Regressor()
    train, evaluation = loader(X, y), loader(*regression(64, seed=1))
    trainer(max_epochs=2).fit(module, train, evaluation)
    with torch.no_grad():
        expected = module(X[:20]).numpy()
    with torch.no_grad():
        module.net[0].weight.zero_()  # type: ignore[operator]  # changed at once by the user

    run = only_run()
    uri = f"models:/{model_id(run.info.run_id)}"
    info = runwell.RunwellClient().get_logged_model(model_id(run.info.run_id))
    assert info.status == LoggedModelStatus.READY and info.name == "model"
    loaded = runwell.pytorch.load_model(uri)
    with torch.no_grad():
        assert np.allclose(loaded(X[:20]).numpy(), expected, atol=1e-6)
    predicted = runwell.pyfunc.load_model(uri).predict(X[:20].numpy())
    assert np.allclose(np.asarray(predicted), expected, atol=1e-6)
    mlmodel = Model.load(uri)
    example = mlmodel.load_input_example(download_model(uri))
    assert np.allclose(np.asarray(example), X[:5].numpy())
    assert mlmodel.signature is not None
    registered = runwell.pyfunc.load_model("models:/lightning-mlp/1")
    assert np.allclose(np.asarray(registered.predict(X[:20].numpy())), expected, atol=1e-6)
    contexts = {
        t.value
        for used in run.inputs.dataset_inputs
        for t in used.tags
        if t.key.endswith("context")
    }
    assert contexts == {"train", "eval"}


def test_fit_inside_a_user_run_logs_into_it_and_exclusive_keeps_out() -> None:
    X, y = regression()
    runwell.pytorch.autolog(log_models=False, extra_tags={"team": "vision"})
    with runwell.start_run() as mine:
        trainer(max_epochs=1).fit(Regressor(), loader(X, y))
        assert runwell.active_run() is not None  # autolog does not end the user's run
    run = only_run()
    assert run.info.run_id == mine.info.run_id
    assert "train_loss_epoch" in run.data.metric_dict and run.data.tag_dict["team"] == "vision"

    runwell.pytorch.autolog(exclusive=True, log_models=False)
    with runwell.start_run() as other:
        trainer(max_epochs=1).fit(Regressor(), loader(X, y))
    assert runwell.get_run(other.info.run_id).data.metric_dict == {}
    trainer(max_epochs=1).fit(Regressor(), loader(X, y))  # no user run: autolog's own
    assert len(all_runs()) == 3


def test_a_failing_autolog_step_is_a_warning_and_training_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    X, y = regression()
    runwell.pytorch.autolog()
    module = Unsavable()
    first = module.net[0]
    assert isinstance(first, torch.nn.Linear)
    before = first.weight.detach().clone()
    fitter = trainer(max_epochs=2)
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        fitter.fit(module, loader(X, y))
        runwell.autologging.flush()
    assert fitter.state.finished and not torch.equal(before, first.weight)
    text = caplog.text
    assert "failed while logging the params" in text and "this value has no text" in text
    assert "failed while logging the model" in text and "lock" in text
    run = only_run()
    assert run.info.status == RunStatus.FINISHED
    assert [step for step, _ in history(run.info.run_id, "train_loss_epoch")] == [0, 1]
    info = runwell.RunwellClient().get_logged_model(model_id(run.info.run_id))
    assert info.status == LoggedModelStatus.FAILED


def test_a_pickled_trainer_takes_an_inert_autolog_callback() -> None:
    copies: list[L.Callback] = []

    class Pickles(L.Callback):  # what strategy="ddp_spawn" does to send the trainer away
        def on_train_start(self, trainer: Any, pl_module: L.LightningModule) -> None:
            ours = [c for c in trainer.callbacks if type(c).__name__ == "RunwellAutologCallback"]
            copies.extend(pickle.loads(pickle.dumps(ours)))

    X, y = regression()
    runwell.pytorch.autolog(log_models=False)
    fitter = trainer(max_epochs=1, callbacks=[Pickles()])
    fitter.fit(Regressor(), loader(X, y))
    (copied,) = copies
    copied.on_train_epoch_end(fitter, fitter.lightning_module)  # records nothing, no error
    assert vars(copied) == {"inert": True}
    assert len(history(only_run().info.run_id, "train_loss_epoch")) == 1


def test_the_users_training_error_propagates_and_fails_the_run() -> None:
    class Broken(Regressor):
        def training_step(self, batch: object, batch_idx: int) -> torch.Tensor:
            raise ValueError("the user's bug")

    X, y = regression()
    runwell.pytorch.autolog(log_models=False)
    with pytest.raises(ValueError, match="the user's bug"):
        trainer(max_epochs=1).fit(Broken(), loader(X, y))
    assert only_run().info.status == RunStatus.FAILED


def test_disable_undoes_the_patch_and_logs_nothing() -> None:
    original = L.Trainer.fit
    runwell.pytorch.autolog(log_models=False)
    assert patching.is_patched(L.Trainer.fit) and integrations.is_installed("pytorch")
    runwell.pytorch.autolog(disable=True)
    assert L.Trainer.fit is original and not integrations.is_installed("pytorch")
    X, y = regression()
    trainer(max_epochs=1).fit(Regressor(), loader(X, y))
    assert all_runs() == []


def test_an_unsupported_lightning_version_warns_and_stays_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    versions.set_supported_range("lightning", "1.0", "1.9")
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        runwell.pytorch.autolog()
    assert "supports lightning 1.0 to 1.9" in caplog.text
    assert f"lightning {lightning.__version__} is installed" in caplog.text
    assert not patching.is_patched(L.Trainer.fit)
    X, y = regression()
    trainer(max_epochs=1).fit(Regressor(), loader(X, y))
    assert all_runs() == []


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"log_every_n_epoch": 0}, "log_every_n_epoch"),
        ({"log_every_n_step": "10"}, "log_every_n_step"),
        ({"log_models": "yes"}, "log_models"),
        ({"registered_model_name": ""}, "registered_model_name"),
        ({"extra_tags": ["team"]}, "extra_tags"),
    ],
)
def test_bad_option_values_are_refused_by_name(options: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidArgument, match=f"'{named}'"):
        runwell.pytorch.autolog(**options)  # type: ignore[arg-type]
    assert not patching.is_patched(L.Trainer.fit)


def test_the_standalone_pytorch_lightning_package_is_patched_too() -> None:
    import pytorch_lightning

    from tests.autolog.torch_builders import ROWS

    runwell.autolog(log_models=False)
    assert patching.is_patched(pytorch_lightning.Trainer.fit)

    class Small(pytorch_lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)

        def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.linear(x), y)
            self.log("loss", loss)
            return loss

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    fitter = pytorch_lightning.Trainer(
        max_epochs=2, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    fitter.fit(Small(), loader(*regression(ROWS)))
    run = only_run()
    assert run.data.tag_dict["mlflow.autologging"] == "pytorch"
    assert run.data.param_dict["optimizer_name"] == "SGD"
    assert [step for step, _ in history(run.info.run_id, "loss")] == [0, 1]


def test_importing_runwell_pytorch_loads_neither_torch_nor_lightning() -> None:
    code = (
        "import json, sys, runwell.pytorch; runwell.pytorch.autolog; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'lightning', 'pytorch_lightning'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert json.loads(done.stdout) == []
