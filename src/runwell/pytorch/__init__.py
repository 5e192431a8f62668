"""runwell.pytorch: ``torch.nn.Module`` models and state dicts, and training-loop logging.

    import runwell.pytorch
    runwell.pytorch.save_model(net, "net", code_paths=["net.py"], input_example=X[:5])
    runwell.pytorch.load_model("net")(torch.from_numpy(X))
    runwell.pyfunc.load_model("net").predict(X)           # DataFrame in, DataFrame out
    runwell.pytorch.autolog()                             # Lightning's Trainer.fit logs a run
    with runwell.pytorch.RunwellLogger() as logger:       # a plain loop logs through this
        logger.log_metrics({"loss": loss}, step=step)

Models are pickled by ``torch.save`` with cloudpickle (``data/model.pth``; loading logs the
file it unpickles), or, with ``serialization_format="pt2"``, exported by ``torch.export``
(``data/model.pt2``). This package is also the pyfunc loader of PyTorch models
(``_load_pyfunc``), whether runwell or MLflow wrote them. Importing it loads neither torch
nor Lightning; ``RunwellLightningLogger`` and ``MlflowModelCheckpointCallback`` load Lightning
when first used.
"""

import importlib
from typing import TYPE_CHECKING, Any

# The module and the function share the name `autolog`: this import binds the function.
from runwell.pytorch.autolog import autolog
from runwell.pytorch.flavor import FLAVOR_NAME, _load_pyfunc, load_model, log_model, save_model
from runwell.pytorch.logger import RunwellLogger
from runwell.pytorch.serialization import PICKLE, PT2
from runwell.pytorch.state_dict import load_state_dict, log_state_dict, save_state_dict
from runwell.pytorch.wrapper import PyTorchModelWrapper

if TYPE_CHECKING:  # loaded on first use, by __getattr__ below
    from runwell.pytorch.checkpoint import MlflowModelCheckpointCallback
    from runwell.pytorch.lightning_logger import RunwellLightningLogger

__all__ = [
    "FLAVOR_NAME",
    "PICKLE",
    "PT2",
    "MlflowModelCheckpointCallback",
    "PyTorchModelWrapper",
    "RunwellLightningLogger",
    "RunwellLogger",
    "_load_pyfunc",
    "autolog",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]


def __getattr__(name: str) -> Any:
    if name == "RunwellLightningLogger":  # a Lightning Logger subclass: imports Lightning
        return importlib.import_module("runwell.pytorch.lightning_logger").RunwellLightningLogger
    if name == "MlflowModelCheckpointCallback":  # a Lightning Callback: imports Lightning
        return importlib.import_module("runwell.pytorch.checkpoint").MlflowModelCheckpointCallback
    raise AttributeError(f"module 'runwell.pytorch' has no attribute {name!r}")
