"""runwell.pytorch: ``torch.nn.Module`` models and state dicts.

    import runwell.pytorch
    runwell.pytorch.save_model(net, "net", code_paths=["net.py"], input_example=X[:5])
    runwell.pytorch.load_model("net")(torch.from_numpy(X))
    runwell.pyfunc.load_model("net").predict(X)           # DataFrame in, DataFrame out

Models are pickled by ``torch.save`` with cloudpickle (``data/model.pth``; loading logs the
file it unpickles), or, with ``serialization_format="pt2"``, exported by ``torch.export``
(``data/model.pt2``). This package is also the pyfunc loader of PyTorch models
(``_load_pyfunc``), whether runwell or MLflow wrote them.
"""

from runwell.pytorch.flavor import FLAVOR_NAME, _load_pyfunc, load_model, log_model, save_model
from runwell.pytorch.serialization import PICKLE, PT2
from runwell.pytorch.state_dict import load_state_dict, log_state_dict, save_state_dict
from runwell.pytorch.wrapper import PyTorchModelWrapper

__all__ = [
    "FLAVOR_NAME",
    "PICKLE",
    "PT2",
    "PyTorchModelWrapper",
    "_load_pyfunc",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]
