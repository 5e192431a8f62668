"""RunwellLogger in a plain PyTorch loop, and RunwellLightningLogger as a Trainer's logger."""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pytest
import torch

import runwell
import runwell.pytorch
from runwell.entities import RunStatus
from runwell.errors import InvalidArgument
from tests.autolog.conftest import only_run
from tests.autolog.torch_builders import Regressor, loader, regression, trainer

pytestmark = [
    pytest.mark.filterwarnings("ignore::lightning.fabric.utilities.warnings.PossibleUserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec:FutureWarning"),
]


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    points = runwell.RunwellClient().get_metric_history(run_id, key)
    return [(m.step, m.value) for m in points]


def test_a_plain_loop_logs_tensors_params_and_the_model_into_a_run_it_ends() -> None:
    X, y = regression()
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    losses: list[float] = []
    with runwell.pytorch.RunwellLogger(run_name="plain", log_every_n_step=3) as logger:
        logger.log_hyperparams({"lr": 0.05, "net": {"hidden": 8, "layers": 2}})
        for step in range(10):
            loss = torch.nn.functional.mse_loss(net(X), y)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            losses.append(loss.item())
            logger.log_metrics({"loss": loss, "lr": 0.05, "seen": np.int64(step)}, step=step)
        uri = logger.log_model(net, input_example=X[:5].numpy())
        assert runwell.active_run() is not None
    assert runwell.active_run() is None

    run = only_run()
    assert run.info.run_id == logger.run_id and run.info.status == RunStatus.FINISHED
    assert run.data.tag_dict["mlflow.runName"] == "plain"
    assert run.data.param_dict == {"lr": "0.05", "net/hidden": "8", "net/layers": "2"}
    logged = history(run.info.run_id, "loss")
    assert [step for step, _ in logged] == [0, 3, 6, 9]
    assert [value for _, value in logged] == pytest.approx([losses[i] for i in (0, 3, 6, 9)])
    assert [value for _, value in history(run.info.run_id, "seen")] == [0, 3, 6, 9]
    loaded = runwell.pytorch.load_model(uri)
    with torch.no_grad():
        assert torch.allclose(loaded(X[:10]), net(X[:10]))


def test_a_tensor_changed_in_place_after_logging_keeps_its_logged_value() -> None:
    total = torch.zeros(())
    with runwell.pytorch.RunwellLogger() as logger:
        for step in range(3):
            total += 1.0  # a running sum, updated in place
            logger.log_metrics({"total": total}, step=step)
    assert history(logger.run_id, "total") == [(0, 1.0), (1, 2.0), (2, 3.0)]


def test_reads_see_queued_metrics_without_an_explicit_flush() -> None:
    with runwell.start_run() as mine:
        logger = runwell.pytorch.RunwellLogger()
        logger.log_metrics({"loss": torch.tensor(0.5)}, step=7)
        assert logger.run_id == mine.info.run_id
        assert runwell.get_run(mine.info.run_id).data.metric_dict == {"loss": 0.5}
        logger.close()
        assert runwell.active_run() is not None  # the user's run is the user's to end
    assert runwell.get_run(mine.info.run_id).info.status == RunStatus.FINISHED


def _train_and_crash(logger: runwell.pytorch.RunwellLogger) -> None:
    with logger:
        logger.log_metrics({"loss": 1.0})
        raise KeyError("boom")


def test_an_exception_in_the_with_block_fails_the_run() -> None:
    with pytest.raises(KeyError):
        _train_and_crash(runwell.pytorch.RunwellLogger())
    run = only_run()
    assert run.info.status == RunStatus.FAILED and run.data.metric_dict == {"loss": 1.0}


def test_bad_values_and_names_raise_at_the_call() -> None:
    with pytest.raises(InvalidArgument, match="log_every_n_step"):
        runwell.pytorch.RunwellLogger(log_every_n_step=0)
    logger = runwell.pytorch.RunwellLogger()
    with pytest.raises(InvalidArgument, match=r"'weights'.*shape \(3,\)"):
        logger.log_metrics({"weights": torch.ones(3)})
    with pytest.raises(InvalidArgument, match=r"'note'.*str"):
        logger.log_metrics({"note": "high"})
    with pytest.raises(InvalidArgument, match="loss!"):
        logger.log_metrics({"loss!": 1.0})
    with pytest.raises(InvalidArgument, match="mapping or a Namespace"):
        logger.log_hyperparams(["lr"])  # type: ignore[arg-type]
    logger.close()


def test_a_param_the_store_refuses_is_a_warning_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="runwell.autologging"):
        with runwell.pytorch.RunwellLogger() as logger:
            logger.log_hyperparams({"lr": 0.1})
            logger.flush()
            logger.log_hyperparams({"lr": 0.2})  # a param cannot change
            logger.log_metrics({"loss": 1.0})
    assert "failed while logging the params" in caplog.text
    run = only_run()
    assert run.data.param_dict == {"lr": "0.1"} and run.data.metric_dict == {"loss": 1.0}


def test_a_pickled_logger_logs_into_the_same_run() -> None:
    logger = runwell.pytorch.RunwellLogger()
    logger.log_metrics({"loss": 2.0}, step=0)
    copy = pickle.loads(pickle.dumps(logger))  # a trainer sent to a worker process
    copy.log_metrics({"loss": 1.0}, step=1)
    copy.close()
    assert runwell.active_run() is not None  # the copy never ends the run
    logger.close()
    assert history(logger.run_id, "loss") == [(0, 2.0), (1, 1.0)]
    assert only_run().info.status == RunStatus.FINISHED


def test_the_lightning_logger_gets_hparams_and_step_metrics_and_ends_its_run() -> None:
    X, y = regression()
    found = runwell.pytorch.RunwellLightningLogger(run_name="with-lightning")
    fitter = trainer(max_epochs=2, logger=found, log_every_n_steps=1)
    fitter.fit(Regressor(lr=0.03), loader(X, y))
    run = only_run()
    assert run.info.status == RunStatus.FINISHED
    assert run.info.run_id == found.version and run.info.experiment_id == found.name
    assert run.data.param_dict == {"lr": "0.03", "hidden": "8"}
    steps = history(run.info.run_id, "train_loss_step")
    assert [step for step, _ in steps] == list(range(8))
    assert [step for step, _ in history(run.info.run_id, "epoch")][-1] == 7
    assert history(run.info.run_id, "train_loss_epoch")[-1][1] == pytest.approx(
        float(fitter.callback_metrics["train_loss_epoch"])
    )


def test_autolog_with_the_lightning_logger_fills_one_run_without_doubled_metrics() -> None:
    X, y = regression()
    runwell.pytorch.autolog()
    found = runwell.pytorch.RunwellLightningLogger()
    fitter = trainer(max_epochs=2, logger=found, log_every_n_steps=2)
    fitter.fit(Regressor(), loader(X, y), loader(*regression(64, seed=1)))
    runwell.autologging.flush()

    run = only_run()
    assert run.info.run_id == found.run_id and run.info.status == RunStatus.FINISHED
    assert "mlflow.autologging" not in run.data.tag_dict  # the logger's run, not autolog's
    assert run.data.param_dict["optimizer_name"] == "Adam"
    # Lightning's logger steps only (global steps), none of autolog's epoch steps 0 and 1.
    assert [step for step, _ in history(run.info.run_id, "val_loss")] == [3, 7]
    (output,) = run.outputs.model_outputs
    assert runwell.pytorch.load_model(f"models:/{output.model_id}") is not None
