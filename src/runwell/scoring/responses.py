"""Predictions -> the JSON bytes MLflow's scoring server answers with.

``{"predictions": value}`` where a DataFrame is a list of records, a Series a list of
single-key records (``{name or 0: value}``), an ndarray its nested list, numpy scalars their
Python value, bytes base64 text and timestamps ISO 8601. orjson writes numpy arrays natively
(no ``tolist()`` round trip), which is most of the win over the stdlib encoder.

One deliberate difference: NaN and infinities are written as ``null`` (valid JSON, which every
client parses), where MLflow's stdlib encoder writes the non-standard ``NaN``.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

import numpy as np
import orjson

from runwell.errors import ErrorCode, RunwellError

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def jsonable(value: Any) -> Any:
    """DataFrame/Series -> records; everything else is left to the encoder."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value.to_dict(orient="records")
    if isinstance(value, pd.Series):
        name = 0 if value.name is None else value.name
        return [{name: item} for item in value.tolist()]
    return value


def _default(value: Any) -> Any:
    """orjson's fallback for what it does not encode itself (object/str arrays, bytes, ...)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S":
            return [_default(item) for item in value.tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.encodebytes(bytes(value)).decode("ascii")
    if isinstance(value, datetime.date):  # pandas Timestamp is a datetime subclass
        return value.isoformat()
    if hasattr(value, "to_dict") or hasattr(value, "tolist"):
        converted = jsonable(value)
        if converted is not value:
            return converted
        method = getattr(value, "tolist", None)
        if method is not None:
            return method()
    if hasattr(value, "model_dump"):  # pydantic models, as MLflow encodes them
        return value.model_dump()
    raise TypeError(f"predictions contain a {type(value).__name__}, which has no JSON form")


def dumps(value: Any) -> bytes:
    """JSON bytes for any prediction value (see the module docstring for the mapping).

    Raises:
        RunwellError: (INTERNAL_ERROR, a 500) the model returned something with no JSON form.
    """
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:
        raise RunwellError(
            f"The model's predictions cannot be written as JSON: {exc}", ErrorCode.INTERNAL_ERROR
        ) from exc


def predictions_body(predictions: Any, *, unwrapped: bool = False) -> bytes:
    """The ``/invocations`` 200 body: ``{"predictions": ...}``, or the bare value for LLM input."""
    if unwrapped:
        return dumps(jsonable(predictions))
    return dumps({"predictions": jsonable(predictions)})
