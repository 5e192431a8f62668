"""PyTorch Lightning autologging through mlflow.pytorch.autolog, on a tiny regression."""

import lightning as L
import mlflow
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Regressor(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


torch.manual_seed(0)
x = torch.randn(32, 3)
y = x @ torch.tensor([[1.0], [-1.0], [0.5]])
loader = DataLoader(TensorDataset(x, y), batch_size=16)

mlflow.set_experiment("autolog-lightning")
mlflow.pytorch.autolog(log_models=False)
trainer = L.Trainer(
    max_epochs=2, logger=False, enable_checkpointing=False, enable_progress_bar=False
)
with mlflow.start_run(run_name="lightning"):
    trainer.fit(Regressor(), loader)
