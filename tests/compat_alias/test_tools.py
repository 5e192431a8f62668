"""Tools that import mlflow themselves log into runwell through the alias: real, tiny training.

Lightning's MLFlowLogger, Optuna's MLflowCallback (optuna-integration) and Hugging Face's
Trainer(report_to="mlflow") each run in a fresh interpreter with the alias on (by the variable
or by the call) and a tracking URI of their own; the test reads what they logged back with
runwell's client. Hugging Face builds its model from a config, offline: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import runwell
from runwell.entities import RunStatus
from tests.compat_alias.scripts import Alias, last_json, run_python

pytestmark = pytest.mark.slow

LIGHTNING = """
    import json, sys
    import lightning as L
    import torch
    from lightning.pytorch.loggers import MLFlowLogger
    from torch.utils.data import DataLoader, TensorDataset

    class Tiny(L.LightningModule):
        def __init__(self, lr, hidden):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
            )

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    data = TensorDataset(torch.randn(32, 3), torch.randn(32, 1))
    logger = MLFlowLogger(experiment_name="lit", run_name="tiny", tracking_uri=sys.argv[1])
    trainer = L.Trainer(
        max_epochs=2, logger=logger, log_every_n_steps=1, accelerator="cpu",
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )
    trainer.fit(Tiny(lr=0.05, hidden=4), DataLoader(data, batch_size=8))
    print(json.dumps({"run_id": logger.run_id, "steps": trainer.global_step}))
"""

OPTUNA = """
    import json, sys
    import optuna
    from optuna_integration.mlflow import MLflowCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    callback = MLflowCallback(tracking_uri=sys.argv[1], metric_name="objective")
    study = optuna.create_study(study_name="quadratic", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(lambda trial: (trial.suggest_float("x", -2, 2) - 1) ** 2,
                   n_trials=3, callbacks=[callback])
    print(json.dumps({"values": [t.value for t in study.trials],
                      "xs": [t.params["x"] for t in study.trials]}))
"""

HUGGING_FACE = """
    import json
    import torch
    from transformers import (BertConfig, BertForSequenceClassification, Trainer,
                              TrainingArguments)

    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=16,
                        max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config)
    ids = torch.randint(0, 40, (16, 6))
    rows = [{"input_ids": i, "attention_mask": torch.ones(6, dtype=torch.long),
             "labels": torch.tensor(n % 2)} for n, i in enumerate(ids)]
    args = TrainingArguments(output_dir="hf-out", report_to=["mlflow"], run_name="hf-tiny",
                             max_steps=4, logging_steps=1, per_device_train_batch_size=4,
                             save_strategy="no", use_cpu=True, disable_tqdm=True)
    result = Trainer(model=model, args=args, train_dataset=rows).train()
    print(json.dumps({"steps": result.global_step}))
"""

# A machine set up for MLflow: the tools read MLFLOW_* and nothing of runwell's.
_NO_RUNWELL_URI = {"RUNWELL_TRACKING_URI": ""}


@pytest.mark.parametrize("alias", ["env", "call"])
def test_lightning_mlflow_logger_logs_into_a_runwell_store(tmp_path: Path, alias: Alias) -> None:
    uri = f"sqlite:///{tmp_path}/lightning.db"
    done = run_python(LIGHTNING, tmp_path, alias=alias, args=(uri,), extra_env=_NO_RUNWELL_URI)
    out = last_json(done)
    run = runwell.RunwellClient(uri).get_run(out["run_id"])
    assert run.info.run_name == "tiny"
    assert run.info.status == RunStatus.FINISHED
    assert run.data.param_dict == {"lr": "0.05", "hidden": "4"}
    assert "train_loss" in run.data.metric_dict
    history = runwell.RunwellClient(uri).get_metric_history(run.info.run_id, "train_loss")
    assert len(history) == out["steps"] == 8
    assert run.data.tag_dict["mlflow.user"]  # resolve_tags gave the run its context
    experiment = runwell.RunwellClient(uri).get_experiment(run.info.experiment_id)
    assert experiment.name == "lit"


@pytest.mark.parametrize("alias", ["env", "call"])
def test_optuna_mlflow_callback_logs_each_trial_as_a_run(tmp_path: Path, alias: Alias) -> None:
    uri = f"sqlite:///{tmp_path}/optuna.db"
    done = run_python(OPTUNA, tmp_path, alias=alias, args=(uri,), extra_env=_NO_RUNWELL_URI)
    out = last_json(done)
    client = runwell.RunwellClient(uri)
    experiment = client.get_experiment_by_name("quadratic")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], order_by=["tags.number ASC"])
    assert [r.info.run_name for r in runs] == ["0", "1", "2"]
    assert [float(r.data.param_dict["x"]) for r in runs] == pytest.approx(out["xs"])
    assert [r.data.metric_dict["objective"] for r in runs] == pytest.approx(out["values"])
    assert {r.data.tag_dict["state"] for r in runs} == {"COMPLETE"}
    assert {r.data.tag_dict["direction"] for r in runs} == {"MINIMIZE"}


@pytest.mark.parametrize("alias", ["env", "call"])
def test_hugging_face_trainer_reports_to_a_runwell_store(tmp_path: Path, alias: Alias) -> None:
    uri = f"sqlite:///{tmp_path}/hf.db"
    environ = {
        **_NO_RUNWELL_URI,
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_EXPERIMENT_NAME": "hf",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    out = last_json(run_python(HUGGING_FACE, tmp_path, alias=alias, extra_env=environ))
    client = runwell.RunwellClient(uri)
    experiment = client.get_experiment_by_name("hf")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "hf-tiny"
    assert run.info.status == RunStatus.FINISHED
    params = run.data.param_dict
    assert params["hidden_size"] == "8" and params["max_steps"] == "4"
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(1, out["steps"] + 1))
    assert "train_runtime" in run.data.metric_dict
