"""ModelSignature and ``infer_signature``: what a model takes, returns and accepts as params.

In the MLmodel file a signature is a mapping of three **JSON strings** (reference §3.1-3.2)::

    signature:
      inputs: '[{"type": "double", "name": "a", "required": true}]'
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
      params: null

``infer_signature`` reads the same shapes MLflow reads: pandas DataFrames and Series, numpy
arrays, dicts of arrays (named tensors), dicts and lists of records (columns), lists and
single values (one unnamed column).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models.datatype import DataType
from runwell.models.schema import ColSpec, ParamSchema, ParamSpec, Schema, Spec, TensorSpec


class ModelSignature:
    """Input and output schemas of a model, and its inference params."""

    def __init__(
        self,
        inputs: Schema | None = None,
        outputs: Schema | None = None,
        params: ParamSchema | None = None,
    ) -> None:
        for label, value, kind in (
            ("inputs", inputs, Schema),
            ("outputs", outputs, Schema),
            ("params", params, ParamSchema),
        ):
            if value is not None and not isinstance(value, kind):
                raise InvalidArgument(
                    f"Invalid signature {label}: expected a {kind.__name__} or None, "
                    f"got {type(value).__name__}."
                )
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ModelSignature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.params == other.params
        )

    def __repr__(self) -> str:
        parts = f"inputs={self.inputs!r}, outputs={self.outputs!r}, params={self.params!r}"
        return f"ModelSignature({parts})"

    def to_dict(self) -> dict[str, str | None]:
        """The MLmodel ``signature`` mapping: each part a JSON string or None."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        if not isinstance(data, Mapping):
            raise InvalidArgument(
                f"Invalid signature {data!r}: expected a mapping of inputs, outputs, params."
            )
        inputs, outputs, params = data.get("inputs"), data.get("outputs"), data.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """A signature read from example input, output and params.

    Args:
        model_input: a DataFrame, Series, ndarray, dict of ndarrays, dict or list of records,
            list of values or a single value.
        model_output: the model's output for that input (same kinds), or None.
        params: inference params with their default values, or None.
    """
    return ModelSignature(
        infer_schema(model_input) if model_input is not None else None,
        infer_schema(model_output) if model_output is not None else None,
        infer_param_schema(params) if params else None,
    )


def infer_schema(data: Any) -> Schema:
    """The schema of one example value (see ``infer_signature``)."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return Schema(
            ColSpec(_series_type(data[c], str(c)), str(c), _no_missing(data[c]))
            for c in data.columns
        )
    if isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema([ColSpec(_series_type(data, name or "0"), name, _no_missing(data))])
    if isinstance(data, np.ndarray):
        return Schema([TensorSpec(_tensor_dtype(data.dtype), _tensor_shape(data))])
    if isinstance(data, Mapping):
        if data and all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema(
                TensorSpec(_tensor_dtype(v.dtype), _tensor_shape(v), str(k))
                for k, v in data.items()
            )
        return Schema(
            ColSpec(_value_type(v, str(k)), str(k), not _is_missing(v)) for k, v in data.items()
        )
    if isinstance(data, list):
        if not data:
            return Schema([ColSpec(DataType.string)])
        if all(isinstance(row, Mapping) for row in data):
            return _records_schema(data)
        return Schema([ColSpec(_list_item_type(data, "0"))])
    return Schema([ColSpec(_value_type(data, "0"))])


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """A params schema whose defaults are the given values."""
    if not isinstance(params, Mapping):
        raise InvalidArgument(f"Invalid params {params!r}: expected a dict of name to default.")
    specs: list[ParamSpec] = []
    for name, value in params.items():
        if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
            items = list(value)
            if not items:
                raise InvalidArgument(
                    f"Cannot infer the type of param {name!r} from an empty list."
                )
            kind = _scalar_type(items[0], f"param {name!r}")
            specs.append(ParamSpec(str(name), kind, items, (-1,)))
        else:
            specs.append(ParamSpec(str(name), _scalar_type(value, f"param {name!r}"), value))
    return ParamSchema(specs)


def _records_schema(rows: list[Any]) -> Schema:
    columns: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row.items():
            columns.setdefault(str(key), []).append(value)
    specs: list[Spec] = []
    for name, values in columns.items():
        required = all(name in row and not _is_missing(row[name]) for row in rows)
        present = [v for v in values if not _is_missing(v)]
        kind = _list_item_type(present, name) if present else DataType.string
        specs.append(ColSpec(kind, name, required))
    return Schema(specs)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _no_missing(series: Any) -> bool:
    return not bool(series.isna().any())


def _tensor_dtype(dtype: Any) -> Any:
    """Strings and bytes lose their length (``<U5`` is ``str``), as MLflow records them."""
    import numpy as np

    if dtype.kind == "U":
        return np.dtype(str)
    if dtype.kind == "S":
        return np.dtype(bytes)
    if dtype.kind == "O":
        raise InvalidArgument(
            "Cannot infer a tensor spec from an object array: convert it to a numeric, bool, "
            "str or bytes dtype, or pass a DataFrame."
        )
    return dtype


def _tensor_shape(array: Any) -> tuple[int, ...]:
    return (-1, *array.shape[1:]) if array.ndim else ()


_NUMPY_KINDS = {"b": DataType.boolean, "M": DataType.datetime}


def _numpy_type(dtype: Any, where: str) -> DataType | None:
    """The DataType of a numpy dtype, or None for object/str columns (inspect values)."""
    import numpy as np

    if dtype.kind in _NUMPY_KINDS:
        return _NUMPY_KINDS[dtype.kind]
    if dtype.kind in "iu":
        return (
            DataType.integer
            if np.dtype(dtype).itemsize <= 4 and dtype.kind == "i"
            else (DataType.long)
        )
    if dtype.kind == "f":
        return DataType.float if np.dtype(dtype).itemsize <= 4 else DataType.double
    if dtype.kind == "U":
        return DataType.string
    if dtype.kind == "S":
        return DataType.binary
    return None


def _series_type(series: Any, where: str) -> DataType | dict[str, Any]:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return DataType.string
    if isinstance(dtype, pd.DatetimeTZDtype):
        return DataType.datetime
    if hasattr(dtype, "numpy_dtype"):  # nullable extension dtypes (Int64, boolean ...)
        dtype = dtype.numpy_dtype
    kind = _numpy_type(dtype, where)
    if kind is not None:
        return kind
    present = [v for v in series.tolist() if not _is_missing(v)]
    if not present:
        raise InvalidArgument(f"Cannot infer the type of column {where!r}: it holds no values.")
    return _list_item_type(present, where)


def _list_item_type(values: list[Any], where: str) -> DataType | dict[str, Any]:
    kinds = {_canonical(_value_type(v, where)) for v in values}
    if len(kinds) == 1:
        return _value_type(values[0], where)
    if kinds == {"long", "double"}:
        return DataType.double
    raise InvalidArgument(
        f"Cannot infer the type of column {where!r}: its values have several types "
        f"({', '.join(sorted(kinds))})."
    )


def _canonical(kind: DataType | dict[str, Any]) -> str:
    return kind.name if isinstance(kind, DataType) else str(sorted(kind.items()))


def _value_type(value: Any, where: str) -> DataType | dict[str, Any]:
    """A single value: a scalar type, or an ``array``/``object`` for lists and dicts."""
    import numpy as np

    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        present = [v for v in value if not _is_missing(v)]
        if not present:
            raise InvalidArgument(f"Cannot infer the type of {where!r} from an empty list.")
        return {"type": "array", "items": _type_json(_list_item_type(present, where))}
    if isinstance(value, Mapping):
        properties = {
            str(k): {**_type_json(_value_type(v, f"{where}.{k}")), "required": not _is_missing(v)}
            for k, v in value.items()
        }
        return {"type": "object", "properties": properties}
    return _scalar_type(value, where)


def _type_json(kind: DataType | dict[str, Any]) -> dict[str, Any]:
    return dict(kind) if isinstance(kind, dict) else {"type": kind.name}


def _scalar_type(value: Any, where: str) -> DataType:
    import numpy as np

    if isinstance(value, np.generic):
        found = _numpy_type(value.dtype, where)
        if found is not None:
            return found
        value = value.item()
    if isinstance(value, bool):
        return DataType.boolean
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, float):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (dt.datetime, dt.date)):
        return DataType.datetime
    raise InvalidArgument(
        f"Cannot infer a type for {where!r} from a {type(value).__name__}: expected a "
        "DataFrame, Series, ndarray, dict, list, or a bool, int, float, str, bytes or datetime."
    )


def signature_from_example(predict: Any, example: Any) -> ModelSignature:
    """A signature from an input example: its schema, and the schema of ``predict(example)``.

    Predicting on the example is a convenience: when it fails, the signature has inputs only
    and a warning says why.
    """
    import logging

    from runwell.models.input_example import split_example

    value, _params = split_example(example)
    outputs = None
    try:
        outputs = infer_schema(predict(value))
    except Exception as exc:
        logging.getLogger(__name__).warning(
            "Could not infer the output schema from the input example: %s", exc
        )
    return ModelSignature(infer_schema(value), outputs)
