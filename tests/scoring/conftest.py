"""Test models for the scoring server, and a fixture that serves one on a loopback port.

The models are plain classes with ``predict`` and ``metadata`` (the PyFuncModel interface the
server is written against); they report what they received so tests can check the parsing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from runwell.errors import InvalidArgument
from runwell.models.schema import Schema
from runwell.scoring import build_app
from tests.live_server import serve


class Metadata:
    """The two metadata calls the server makes."""

    def __init__(self, schema: str | None = None, params: Any = None) -> None:
        self._schema = Schema.from_json(schema) if schema else None
        self._params = params

    def get_input_schema(self) -> Schema | None:
        return self._schema

    def get_params_schema(self) -> Any:
        return self._params


def describe(data: Any) -> Any:
    """A JSON-able account of a model input: its Python/numpy/pandas types and values."""
    if isinstance(data, pd.DataFrame):
        return {
            "kind": "frame",
            "columns": [str(c) for c in data.columns],
            "dtypes": [str(t) for t in data.dtypes],
            "index": data.index.tolist(),
            "records": data.to_dict(orient="records"),
        }
    if isinstance(data, np.ndarray):
        return {"kind": "ndarray", "dtype": str(data.dtype), "shape": list(data.shape), "v": data}
    if isinstance(data, dict):
        return {"kind": "dict", "items": {str(k): describe(v) for k, v in data.items()}}
    if isinstance(data, list):
        return {"kind": "list", "items": [describe(v) for v in data]}
    return {"kind": type(data).__name__, "v": data}


class EchoModel:
    """Predicts a description of its input and params."""

    def __init__(self, schema: str | None = None, params: Any = None) -> None:
        self.metadata = Metadata(schema, params)
        self.calls = 0

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        self.calls += 1
        return {"input": describe(data), "params": params}


class RowSumModel:
    """One prediction per row (the row's sum); counts calls and the rows of each call."""

    def __init__(self, delay_s: float = 0.0, output: str = "ndarray") -> None:
        self.metadata = Metadata(
            '[{"type": "double", "name": "a"}, {"type": "double", "name": "b"}]'
        )
        self.delay_s = delay_s
        self.output = output
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def predict(self, data: pd.DataFrame, params: dict[str, Any] | None = None) -> Any:
        with self._lock:
            self.calls.append(len(data))
        if "bad" in data.columns:
            raise InvalidArgument("Failed to enforce schema: column 'bad' is not expected")
        time.sleep(self.delay_s)
        sums = (data["a"] + data["b"]).to_numpy()
        if self.output == "series":
            return pd.Series(sums, name="sum")
        if self.output == "scalar":
            return float(sums.sum())
        return sums


class FailingModel:
    """Fails inside predict the ways user models fail."""

    metadata = Metadata()

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if isinstance(data, pd.DataFrame) and "x" not in data.columns:
            raise InvalidArgument("Failed to enforce schema: missing column 'x' (long)")
        raise ValueError("the model cannot handle this input")


class ReturnModel:
    """Predicts whatever its factory makes (for response-encoding tests)."""

    metadata = Metadata()

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def predict(self, data: Any) -> Any:  # no params argument: the server must not pass any
        return self.make()


@pytest.fixture
def served() -> Iterator[Callable[..., Any]]:
    """``served(model, **build_app_options)`` -> base URL of a live server for that model."""
    stack: list[Any] = []

    def start(model: Any, **options: Any) -> str:
        context = serve(build_app(model, **options))
        url = context.__enter__()
        stack.append(context)
        return url

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)
