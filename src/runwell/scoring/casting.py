"""Bring parsed JSON/CSV values to the types a model's input schema names.

The schema object is duck-typed (``is_tensor_spec``, ``has_input_names``, ``input_names``,
``numpy_types``, ``inputs[i].type``) so this module works with runwell.models' Schema and any
object shaped like MLflow's. Casting here is the lenient, lossless step MLflow's server does
before predict (``"1"`` stays a string for a string column, ints become float64 for a double
column); the strict check (missing columns, unsafe conversions) is the model's own schema
enforcement, which raises InvalidArgument.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import numpy as np

from runwell.scoring.errors import invalid_input

if TYPE_CHECKING:
    import pandas as pd


def input_dtypes(schema: Any) -> list[tuple[str | None, np.dtype[Any] | None]]:
    """``(name or None, numpy dtype or None)`` per schema input; None = leave the value as is."""
    names: list[str | None]
    try:
        names = list(schema.input_names()) if schema.has_input_names() else []
    except Exception:
        names = []
    try:
        types: list[Any] = list(schema.numpy_types())
    except Exception:
        # MLflow's numpy_types() refuses schemas with array/object/map columns: go one by one.
        types = [_spec_dtype(spec) for spec in getattr(schema, "inputs", ())]
    if not names:
        names = [None] * len(types)
    pairs = zip(names, types, strict=False)
    return [(name, t if isinstance(t, np.dtype) else None) for name, t in pairs]


def _spec_dtype(spec: Any) -> np.dtype[Any] | None:
    kind = getattr(spec, "type", None)
    if isinstance(kind, np.dtype):
        return kind
    to_numpy = getattr(kind, "to_numpy", None)
    if to_numpy is None:
        return None
    try:
        result = to_numpy()
    except Exception:
        return None
    return result if isinstance(result, np.dtype) else None


def _is_tensor(schema: Any) -> bool:
    try:
        return bool(schema.is_tensor_spec())
    except Exception:
        return False


def cast_frame(frame: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Cast the columns of ``frame`` that the schema types; a failure names the column (400)."""
    import pandas as pd

    dtypes = input_dtypes(schema)
    tensor = _is_tensor(schema)
    columns = list(frame.columns)
    pairs: list[tuple[Any, np.dtype[Any] | None]]
    if dtypes and dtypes[0][0] is not None:
        present = set(columns)
        pairs = [(name, dtype) for name, dtype in dtypes if name in present]
    elif tensor and len(dtypes) == 1:
        pairs = [(column, dtypes[0][1]) for column in columns]
    else:
        pairs = [(column, dtype) for column, (_, dtype) in zip(columns, dtypes, strict=False)]
    current = dict(zip(columns, frame.dtypes, strict=True)) if frame.columns.is_unique else {}
    for column, dtype in pairs:
        if dtype is None or dtype.kind in "OU" or current.get(column) == dtype:
            continue  # strings and composite types: the model's enforcement decides
        series = frame[column]
        try:
            if dtype.kind == "S":
                # Bytes travel base64-encoded in JSON for column specs, as plain text for tensors.
                frame[column] = series.map((lambda v: v.encode("utf-8")) if tensor else _b64decode)
            elif tensor and len(series) and isinstance(series.iloc[0], list):
                continue  # multi-dimensional cells: the model reshapes them
            elif dtype.kind == "M":
                frame[column] = pd.to_datetime(series)
            else:
                frame[column] = series.astype(dtype)
        except Exception as exc:
            raise invalid_input(
                "Data is not compatible with model signature. Failed to convert column "
                f"{column} to type '{dtype}'. Error: '{exc!r}'"
            ) from exc
    return frame


def float_columns(schema: Any) -> tuple[str, ...] | None:
    """The column names when every input is a named float64 column (the common sklearn case).

    Such a body can go straight to one float64 ndarray instead of pandas' per-column inference,
    which is most of the parsing cost of a small request.
    """
    if schema is None or _is_tensor(schema):
        return None
    dtypes = input_dtypes(schema)
    if not dtypes or any(n is None or d != np.float64 for n, d in dtypes):
        return None
    return tuple(str(name) for name, _ in dtypes)


def _b64decode(value: Any) -> bytes:
    return base64.b64decode(value) if isinstance(value, str) else bytes(value)


def csv_dtypes(schema: Any) -> dict[str, Any] | None:
    """``read_csv`` dtypes: numbers as the schema says, strings/bytes kept as text (``"007"``)."""
    result: dict[str, Any] = {}
    for name, dtype in input_dtypes(schema):
        if name is None or dtype is None or dtype.kind == "M":
            continue
        result[name] = object if dtype.kind in "OUS" else dtype
    return result or None


def _to_array(value: Any, dtype: np.dtype[Any] | None, name: str | None) -> Any:
    try:
        if dtype is None:
            return np.asarray(value)
        if isinstance(value, list):
            return np.asarray(value, dtype=dtype)
        return np.asarray([value], dtype=dtype)[0]
    except Exception as exc:
        where = f" for input '{name}'" if name else ""
        raise invalid_input(
            f"Data is not compatible with model signature. Failed to convert {value!r}{where} "
            f"to type '{dtype}'. Error: '{exc!r}'"
        ) from exc


def cast_tensor_input(data: Any, schema: Any | None) -> Any:
    """The TF-serving columnar ``inputs`` value as numpy: a list -> ndarray, a dict -> arrays."""
    dtypes = input_dtypes(schema) if schema is not None else []
    named = {name: dtype for name, dtype in dtypes if name is not None}
    if schema is not None:
        if (
            len(named) == 1
            and isinstance(data, list)
            and not any(isinstance(item, dict) for item in data)
        ):
            data = {next(iter(named)): data}  # one named input: the list is its column
        elif not named and not (isinstance(data, list) or np.isscalar(data)):
            raise invalid_input(
                "This model's signature has unnamed inputs, so it expects a single "
                f"n-dimensional array or a single value; got a JSON {_json_kind(data)}."
            )
    first = dtypes[0][1] if dtypes else None
    if isinstance(data, dict):
        return {key: _to_array(value, named.get(key), key) for key, value in data.items()}
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        return [
            {key: _to_array(value, named.get(key), key) for key, value in row.items()}
            for row in data
        ]
    return _to_array(data, first, None)


def cast_instances(rows: Any, schema: Any | None) -> Any:
    """TF-serving row format: a list of dicts becomes ``{name: array}``; other shapes as inputs."""
    if not (isinstance(rows, list) and rows and isinstance(rows[0], dict)):
        data = cast_tensor_input(rows, schema)
    else:
        dtypes = input_dtypes(schema) if schema is not None else []
        named = {name: dtype for name, dtype in dtypes if name is not None}
        columns: dict[str, list[Any]] = {}
        for row in rows:
            if not isinstance(row, dict):
                raise invalid_input("'instances' must be a list of objects or of values, not both.")
            for key, value in row.items():
                columns.setdefault(key, []).append(_to_array(value, named.get(key), key))
        data = {key: np.asarray(values) for key, values in columns.items()}
    if isinstance(data, dict):
        lengths = {
            key: len(value)
            for key, value in data.items()
            if isinstance(value, (list, np.ndarray)) and np.ndim(value) > 0
        }
        if len(set(lengths.values())) > 1:
            raise invalid_input(
                "The length of values for each input/column name are not the same: "
                + ", ".join(f"{key}={n}" for key, n in lengths.items())
            )
    return data


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__
