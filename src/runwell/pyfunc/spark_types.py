"""The result type of ``spark_udf``: which Spark type its predictions get.

Supported: ``boolean``, ``int``, ``long``, ``float``, ``double``, ``string``, ``binary``,
``timestamp``, arrays of these (nested too) and structs whose fields are any of them. With no
``result_type`` the model's output schema decides: one column -> its type, several named
columns -> a struct of them, a tensor of shape ``(-1,)`` -> its scalar type and each further
dimension -> one more ``array<...>``; no output schema -> ``double``.

runwell.pyfunc.spark_convert converts each batch of predictions to it.
"""

from __future__ import annotations

from typing import Any

from runwell.errors import InvalidArgument
from runwell.models.datatype import DataType
from runwell.models.schema import COMPOSITE_TYPES, ColSpec, Schema, TensorSpec

_SCALARS = ("boolean", "integer", "long", "float", "double", "string", "binary", "timestamp")
_EXPECTED = (
    "expected a pyspark DataType or a DDL string of boolean, int, long, float, double, string, "
    "binary, timestamp, array<...> of these, or a struct such as 'a double, b string'"
)


def parse_result_type(value: Any) -> Any:
    """``value`` (a DDL string or a pyspark DataType) as a supported Spark DataType.

    A string is read by Spark's own DDL parser, in the JVM of the active SparkContext, so
    every type name Spark reads is read here (``bigint``, ``struct<a: double>`` ...).
    """
    from pyspark.sql import types

    if isinstance(value, str):
        try:
            parsed = types._parse_datatype_string(value)
        except Exception as exc:  # Spark's ParseException (or a JVM error) for a bad string
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidArgument(
                f"Invalid result_type {value!r}: Spark cannot parse it ({reason}); {_EXPECTED}."
            ) from None
    elif isinstance(value, types.DataType):
        parsed = value
    else:
        raise InvalidArgument(f"Invalid result_type {value!r}: {_EXPECTED}.")
    _check_supported(parsed, value)
    return parsed


def _check_supported(kind: Any, given: Any, top: bool = True) -> None:
    name = kind.typeName()
    if name == "struct" and top and kind.fields:
        for field in kind.fields:
            _check_supported(field.dataType, given, top=False)
    elif name == "array":
        _check_supported(kind.elementType, given, top=False)
    elif name not in _SCALARS:
        where = "" if top else " inside the result type"
        raise InvalidArgument(
            f"Unsupported result_type {given!r}: {kind.simpleString()}{where} is not supported; "
            f"{_EXPECTED}."
        )


# ------------------------------------------------------------------ from the output schema


def default_result_type(outputs: Schema | None) -> Any:
    """The result type implied by a model's output schema (``double`` without one)."""
    from pyspark.sql import types

    if outputs is None or not outputs.inputs:
        return types.DoubleType()
    if outputs.is_tensor_spec():
        spec = outputs.inputs[0]
        assert isinstance(spec, TensorSpec)
        if len(outputs.inputs) > 1:
            return types.DoubleType()
        kind = _from_numpy(spec.type)
        for _ in range(max(len(spec.shape) - 1, 0)):
            kind = types.ArrayType(kind)
        return kind
    columns = [s for s in outputs.inputs if isinstance(s, ColSpec)]
    if len(columns) == 1:
        return _from_column(columns[0])
    if not outputs.has_input_names():
        return types.DoubleType()
    return types.StructType(
        [types.StructField(str(spec.name), _from_column(spec)) for spec in columns]
    )


def _from_column(spec: ColSpec) -> Any:
    return _from_type(spec.type, str(spec.name))


def _from_type(kind: Any, name: str) -> Any:
    """A column type (a DataType, or an ``array`` type's JSON) as a Spark type."""
    from pyspark.sql import types

    if not isinstance(kind, dict):
        return _from_numpy(kind.to_numpy())
    items = kind.get("items")
    if kind.get("type") == "array" and isinstance(items, dict):
        inner = items.get("type")
        return types.ArrayType(
            _from_type(items if inner in COMPOSITE_TYPES else DataType.parse(inner), name)
        )
    raise InvalidArgument(
        f"Cannot derive a Spark type from output column '{name}' of type "
        f"{kind.get('type')!r}: pass result_type."
    )


def _from_numpy(dtype: Any) -> Any:
    import numpy as np
    from pyspark.sql import types

    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return types.BooleanType()
    if dtype.kind == "i" and dtype.itemsize <= 4:
        return types.IntegerType()
    if dtype.kind in "iu":
        return types.LongType()
    if dtype.kind == "f":
        return types.FloatType() if dtype.itemsize <= 4 else types.DoubleType()
    if dtype.kind == "S":
        return types.BinaryType()
    if dtype.kind == "M":
        return types.TimestampType()
    return types.StringType()
