"""Schema enforcement: make pyfunc input match the model's signature, or say what is wrong.

The rules follow MLflow's, so a payload MLflow accepts is accepted here:

- Column schemas: the input becomes a DataFrame (dicts, records and 2-D arrays are converted);
  required columns must be present, extra columns are dropped, and each column is converted
  to its declared type when that is safe (int -> long/float/double, float32 -> double, int32
  -> long ...). An unsafe conversion (float -> long, double -> float, str -> double ...) raises
  InvalidArgument naming the column and both types.
- Tensor schemas: arrays keep their shape (``-1`` matches any size) and are cast when numpy
  calls the cast safe.
- Params: unknown names are ignored with a log line, declared ones are validated and
  converted, and declared defaults fill the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models.datatype import DataType
from runwell.models.schema import ColSpec, ParamSchema, Schema, TensorSpec

_logger = logging.getLogger(__name__)


def enforce_schema(data: Any, schema: Schema) -> Any:
    """``data`` converted to ``schema``'s types; InvalidArgument when that is not safe."""
    if not schema.inputs:
        return data
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)


def enforce_params(
    params: Mapping[str, Any] | None, schema: ParamSchema | None
) -> dict[str, Any] | None:
    """Validated params with defaults applied (None when the model declares no params)."""
    if schema is None:
        if params:
            _logger.warning(
                "Ignoring params %s: the model's signature declares no params.", sorted(params)
            )
        return None
    if params is not None and not isinstance(params, Mapping):
        raise InvalidArgument(f"Invalid params {params!r}: expected a dict of param name to value.")
    given = dict(params or {})
    out: dict[str, Any] = {}
    for spec in schema.params:
        if spec.name in given:
            out[spec.name] = spec.validate(given.pop(spec.name))
        else:
            out[spec.name] = spec.default
    if given:
        _logger.warning(
            "Ignoring params %s: the model's signature does not declare them.", sorted(given)
        )
    return out


# ---------------------------------------------------------------- columns


def _to_frame(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    names = schema.input_names()
    if isinstance(data, Mapping):
        values = list(data.values())
        if values and all(np.isscalar(v) or v is None for v in values):
            return pd.DataFrame([dict(data)])
        return pd.DataFrame(
            {k: list(v) if isinstance(v, np.ndarray) else v for k, v in data.items()}
        )
    if isinstance(data, list):
        if data and all(isinstance(row, Mapping) for row in data):
            return pd.DataFrame(data)
        frame = pd.DataFrame(data)
    elif isinstance(data, np.ndarray):
        frame = pd.DataFrame(data if data.ndim > 1 else data.reshape(-1, 1))
    elif isinstance(data, (str, bytes, int, float, bool)):
        frame = pd.DataFrame([[data]])
    else:
        raise InvalidArgument(
            f"Invalid input of type {type(data).__name__}: this model's signature expects "
            "columns; pass a DataFrame, a dict of columns, records or a 2-D array."
        )
    if schema.has_input_names() and len(frame.columns) == len(names):
        frame.columns = [str(n) for n in names]
    return frame


def _enforce_columns(data: Any, schema: Schema) -> Any:
    import pandas as pd

    frame = _to_frame(data, schema)
    if _already_conforms(frame, schema):
        return frame.copy(deep=False)
    if schema.has_input_names():
        present = {str(c) for c in frame.columns}
        missing = [str(n) for n in schema.required_input_names() if str(n) not in present]
        if missing:
            extra = sorted(present - {str(n) for n in schema.input_names()})
            note = f" Note that there were extra inputs: {extra}." if extra else ""
            raise InvalidArgument(f"Model is missing inputs {missing}.{note}")
        columns: dict[str, Any] = {}
        by_name = {str(c): c for c in frame.columns}
        for spec in schema.inputs:
            assert isinstance(spec, ColSpec) and spec.name is not None
            if spec.name in by_name:
                columns[spec.name] = _enforce_column(frame[by_name[spec.name]], spec, spec.name)
        return pd.DataFrame(columns, index=frame.index)
    if len(frame.columns) < len(schema.required_input_names()):
        raise InvalidArgument(
            f"Model expects {len(schema.inputs)} unnamed inputs but the input has "
            f"{len(frame.columns)} columns."
        )
    out = frame.iloc[:, : len(schema.inputs)].copy()
    for position, spec in enumerate(schema.inputs):
        assert isinstance(spec, ColSpec)
        out.isetitem(position, _enforce_column(out.iloc[:, position], spec, str(position)))
    return out


_NUMERIC = frozenset(
    {DataType.boolean, DataType.integer, DataType.long, DataType.float, DataType.double}
)


def _numeric_targets(schema: Schema) -> list[Any] | None:
    """The numpy dtypes of a schema of named numeric columns; None for any other schema."""
    targets = []
    for spec in schema.inputs:
        if not isinstance(spec, ColSpec) or spec.name is None or spec.type not in _NUMERIC:
            return None
        assert isinstance(spec.type, DataType)
        targets.append(spec.type.to_numpy())
    return targets


def _already_conforms(frame: Any, schema: Schema) -> bool:
    """True when the frame has exactly the schema's columns, in order, each already of its
    numeric type: nothing to convert, the common case of a scoring server's request, which
    then skips rebuilding the frame column by column (about a tenth of a request's CPU)."""
    targets = _numeric_targets(schema)
    if targets is None or len(frame.columns) != len(targets):
        return False
    if [str(c) for c in frame.columns] != schema.input_names():
        return False
    try:
        # pandas' block manager knows the dtypes without building a Series (frame.dtypes
        # costs about twenty times more); the public attribute is the fallback.
        dtypes = list(frame._mgr.get_dtypes())
    except AttributeError:
        dtypes = list(frame.dtypes)
    return all(d == t for d, t in zip(dtypes, targets, strict=True))


def _incompatible(name: str, actual: Any, expected: DataType, hint: str = "") -> InvalidArgument:
    return InvalidArgument(
        f"Incompatible input types for column '{name}': can not safely convert {actual} to "
        f"{expected.name} (expected type {expected.name}).{hint}"
    )


def _enforce_column(series: Any, spec: ColSpec, name: str) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(spec.type, dict):
        return series  # composite types are passed through as given
    expected = spec.type
    if hasattr(series.dtype, "numpy_dtype") and not series.isna().any():
        series = series.astype(series.dtype.numpy_dtype)
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if expected in (DataType.string, DataType.binary):
        want = str if expected is DataType.string else bytes
        if isinstance(dtype, pd.StringDtype):
            return series.astype(object) if expected is DataType.string else series
        if kind in ("O", "U", "S") or isinstance(dtype, pd.StringDtype):
            values = series.dropna().tolist()
            if all(isinstance(v, want) for v in values):
                return series.astype(object)
            wrong = next(v for v in values if not isinstance(v, want))
            raise _incompatible(name, type(wrong).__name__, expected)
        raise _incompatible(name, dtype, expected)
    if expected is DataType.boolean:
        if kind == "b":
            return series
        if kind == "O" and all(isinstance(v, bool) for v in series.dropna().tolist()):
            return series.astype(bool) if not series.isna().any() else series
        raise _incompatible(name, dtype, expected)
    if expected is DataType.datetime:
        if kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
            return series
        if kind == "O":
            try:
                return pd.to_datetime(series)
            except (ValueError, TypeError):
                pass
        raise _incompatible(name, dtype, expected)
    target = expected.to_numpy()
    if kind == "O":
        # JSON-born object columns: accept them when every value fits.
        try:
            converted = pd.to_numeric(series)
        except (ValueError, TypeError):
            raise _incompatible(name, "object", expected) from None
        if converted.dtype.kind in "iufb":
            return _enforce_column(converted, spec, name)
        raise _incompatible(name, "object", expected)
    if kind not in "iuf":
        raise _incompatible(name, dtype, expected)
    if kind == "f" and target.kind == "i":
        hint = ""
        if series.isna().any():
            hint = (
                " Integer columns with missing values arrive as float; declare the column as "
                "double or fill the missing values."
            )
        raise _incompatible(name, dtype, expected, hint)
    if kind in "iu" and target.kind == "f":
        return series.astype(target)
    if np.can_cast(dtype, target, casting="safe"):
        return series.astype(target) if dtype != target else series
    raise _incompatible(name, dtype, expected)


# ---------------------------------------------------------------- tensors


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if schema.has_input_names():
        if isinstance(data, pd.DataFrame):
            data = {str(c): data[c].to_numpy() for c in data.columns}
        if not isinstance(data, Mapping):
            if len(specs) == 1:
                return {specs[0].name: _enforce_tensor(data, specs[0], str(specs[0].name))}
            raise InvalidArgument(
                f"Invalid input of type {type(data).__name__}: this model expects named "
                f"tensors {[s.name for s in specs]}; pass a dict of arrays."
            )
        missing = [s.name for s in specs if s.name not in data]
        if missing:
            raise InvalidArgument(f"Model is missing inputs {missing}.")
        return {s.name: _enforce_tensor(data[s.name], s, str(s.name)) for s in specs}
    if len(specs) > 1:
        raise InvalidArgument("Unnamed tensor schemas hold a single tensor.")
    if isinstance(data, pd.DataFrame):
        if any(getattr(d, "kind", "O") == "O" for d in data.dtypes):
            data = np.array(data.values.tolist())
        else:
            data = data.to_numpy()
    return _enforce_tensor(data, specs[0], "0")


def _enforce_tensor(value: Any, spec: TensorSpec, name: str) -> Any:
    import numpy as np

    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    expected = spec.type
    if array.dtype != expected:
        safe = np.can_cast(array.dtype, expected, casting="safe") or (
            array.dtype.kind in "iu" and expected.kind == "f"
        )
        if expected.kind in "US" and array.dtype.kind in "US":
            safe = True
        if not safe:
            raise InvalidArgument(
                f"Incompatible input types for tensor '{name}': can not safely convert "
                f"{array.dtype} to {expected} (expected type {expected})."
            )
        array = array.astype(expected)
    if spec.shape:
        shape_ok = len(array.shape) == len(spec.shape) and all(
            want in (-1, got) for want, got in zip(spec.shape, array.shape, strict=True)
        )
        if not shape_ok:
            raise InvalidArgument(
                f"Shape of input {list(array.shape)} for tensor '{name}' does not match the "
                f"expected shape {list(spec.shape)}."
            )
    return array
