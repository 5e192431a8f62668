"""Models from code: a script that builds the model and hands it over with ``set_model``.

    # model.py, saved with runwell.pyfunc.save_model(path, python_model="model.py")
    import runwell
    class Echo(runwell.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input
    runwell.models.set_model(Echo())

Loading such a model runs the file again and takes what it passed to ``set_model``; no pickle
is involved, so the model loads wherever its code runs.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import threading
from collections.abc import Iterator
from typing import Any

from runwell.errors import InvalidArgument

_SET_MODEL_ERROR = (
    "set_model takes the model object itself: a PythonModel (anything with a predict method) "
    "or a callable, not {kind}."
)

_lock = threading.RLock()  # one model file runs at a time, so each load sees its own model
_set: list[Any] = []


def set_model(model: Any) -> None:
    """Name ``model`` as the model this code file defines (MLflow's ``models.set_model``).

    Raises:
        InvalidArgument: ``model`` is a string (a path is not a model) or has neither
            ``predict`` nor ``__call__``.
    """
    if isinstance(model, str) or not (callable(model) or callable(getattr(model, "predict", None))):
        raise InvalidArgument(_SET_MODEL_ERROR.format(kind=type(model).__name__))
    _set[:] = [model]


@contextlib.contextmanager
def _collecting() -> Iterator[list[Any]]:
    with _lock:
        _set.clear()
        try:
            yield _set
        finally:
            _set.clear()


def load_model_from_code(code_path: str) -> Any:
    """Run the model file ``code_path`` and return what it passed to ``set_model``.

    Raises:
        InvalidArgument: the file is missing or never called ``set_model``.
    """
    if not os.path.isfile(code_path):
        raise InvalidArgument(f"The model code file '{code_path}' does not exist.")
    with _collecting() as found:
        runpy.run_path(code_path, run_name="__runwell_model__")
        if not found:
            raise InvalidArgument(
                f"The model code file '{code_path}' did not call runwell.models.set_model(model)"
                " (or mlflow.models.set_model) with the model it defines."
            )
        return found[0]
