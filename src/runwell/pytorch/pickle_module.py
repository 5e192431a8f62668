"""The pickle module ``torch.save`` and ``torch.load`` get for whole models: cloudpickle.

``torch.save(..., pickle_module=m)`` pickles with ``m.Pickler`` and ``torch.load`` unpickles
with ``m.Unpickler``. cloudpickle's Pickler also stores classes defined in ``__main__`` or a
notebook by value, so a model class need not be importable where it is loaded; cloudpickle has
no Unpickler of its own (its output is plain pickle), so the standard library's is used.

Models record this module as ``mlflow.pytorch.pickle_module``, the name of MLflow's module
doing the same job, so that MLflow loads them too; runwell maps that name back here.
"""

from pickle import Unpickler

from cloudpickle import (  # type: ignore[import-untyped]
    Pickler,
    dump,
    dumps,
    load,
    loads,
)

__all__ = ["Pickler", "Unpickler", "dump", "dumps", "load", "loads"]
