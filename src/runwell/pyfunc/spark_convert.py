"""Predictions converted to a ``spark_udf`` result type, one Arrow batch at a time.

A conversion never loses information silently: floats become integers only when they are
whole numbers (NaN becomes null), integers must fit the target type, booleans come from bools
or 0/1, and anything becomes a string. Otherwise InvalidArgument names the prediction column
and the type; on Spark it reaches the driver inside the task's PythonException.

Outputs are read as MLflow reads them: a struct takes the DataFrame's (or dict's) columns by
name, or a 2-D array's columns by position; a scalar type takes a Series, a 1-D array or the
first column of a DataFrame or 2-D array; an array type takes a 2-D array (a row per row)
or a column of lists/arrays.
"""

from __future__ import annotations

from typing import Any

from runwell.errors import InvalidArgument

_NUMPY = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
}


def to_spark(predictions: Any, kind: Any, rows: int) -> Any:
    """One batch of predictions as pyspark writes ``kind``: a Series, or a DataFrame for a
    struct (with a fresh index, so that pandas aligns nothing)."""
    import pandas as pd

    if kind.typeName() == "struct":
        frame = _as_frame(predictions, kind)
        _check_rows(len(frame), rows)
        return pd.DataFrame(
            {f.name: _column(frame[f.name], f.dataType, f.name) for f in kind.fields}
        )
    name, values = _as_column(predictions, kind)
    _check_rows(len(values), rows)
    return _column(values, kind, name)


def _check_rows(got: int, rows: int) -> None:
    if got != rows:
        raise InvalidArgument(
            f"The model returned {got} predictions for a batch of {rows} rows: spark_udf needs "
            "one prediction per input row."
        )


def _cannot(name: str, kind: Any, reason: str) -> InvalidArgument:
    return InvalidArgument(
        f"Cannot convert prediction column '{name}' to result type {kind.simpleString()}: {reason}."
    )


def _dict_frame(predictions: Any) -> Any:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {str(k): list(v) if np.ndim(v) > 1 else v for k, v in dict(predictions).items()}
    )


def _as_frame(predictions: Any, kind: Any) -> Any:
    import numpy as np
    import pandas as pd

    names = [f.name for f in kind.fields]
    if isinstance(predictions, dict):
        predictions = _dict_frame(predictions)
    if isinstance(predictions, np.ndarray) and predictions.ndim == 2:
        if predictions.shape[1] == len(names):
            return pd.DataFrame(predictions, columns=names)
    if not isinstance(predictions, pd.DataFrame):
        shape = getattr(predictions, "shape", None)
        raise InvalidArgument(
            f"Cannot convert the model's output ({type(predictions).__name__}"
            f"{f' of shape {list(shape)}' if shape is not None else ''}) to result type "
            f"{kind.simpleString()}: a struct needs a DataFrame or dict with columns {names}."
        )
    by_name = {str(c): c for c in predictions.columns}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise InvalidArgument(
            f"Cannot convert the model's output to result type {kind.simpleString()}: it has no "
            f"column {', '.join(repr(m) for m in missing)} (its columns: {list(by_name)})."
        )
    return pd.DataFrame({n: predictions[by_name[n]].to_numpy() for n in names})


def _as_column(predictions: Any, kind: Any) -> tuple[str, Any]:
    """(name, values) of a non-struct result: a Series or a numpy array, one item per row."""
    import numpy as np
    import pandas as pd

    is_array = kind.typeName() == "array"
    if isinstance(predictions, dict):
        predictions = _dict_frame(predictions)
    if isinstance(predictions, (list, tuple)):
        predictions = pd.Series(list(predictions), dtype=object if is_array else None)
    if isinstance(predictions, pd.DataFrame):
        first = predictions.iloc[:, 0] if len(predictions.columns) else None
        rows_are_arrays = (
            len(predictions.columns) == 1 and first is not None and first.dtype == object
        )
        if first is None or (is_array and not rows_are_arrays):
            return "prediction", predictions.to_numpy()
        return str(predictions.columns[0]), first  # as MLflow: the first column
    if isinstance(predictions, pd.Series):
        return str(predictions.name) if predictions.name is not None else "prediction", predictions
    array = np.asarray(predictions)
    if array.ndim == 0:
        raise _cannot("prediction", kind, "the model returned a single value, not one per row")
    if not is_array and array.ndim == 2:
        array = array[:, 0]
    return "prediction", array


def _column(values: Any, kind: Any, name: str) -> Any:
    import pandas as pd

    if kind.typeName() == "array":
        return pd.Series(_array_rows(values, kind, name), dtype=object)
    return pd.Series(_scalars(values, kind, name))


def _scalars(values: Any, kind: Any, name: str) -> Any:
    """A 1-D column converted to a scalar Spark type (missing values become nulls)."""
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.ndim != 1 or (series.dtype == object and _has_arrays(series)):
        raise _cannot(name, kind, "the model returned arrays; pass an array<...> result_type")
    tname = kind.typeName()
    missing = series.isna().to_numpy()
    if tname == "string":
        if series.dtype == object and all(isinstance(v, str) for v in series[~missing]):
            return series.to_numpy()
        text = series.astype(str).to_numpy(dtype=object)
        text[missing] = None
        return text
    if tname == "binary":
        bad = [v for v in series[~missing] if not isinstance(v, (bytes, bytearray))]
        if bad:
            raise _cannot(name, kind, f"value {bad[0]!r} is not bytes")
        return series.to_numpy()
    if tname == "timestamp":
        if series.dtype.kind == "M" or isinstance(series.dtype, pd.DatetimeTZDtype):
            return series.reset_index(drop=True)
        raise _cannot(name, kind, f"values of dtype {series.dtype} are not timestamps")
    if series.dtype == object:
        try:
            series = pd.to_numeric(series)
        except (ValueError, TypeError):
            wrong = next((v for v in series[~missing] if not _is_number(v)), None)
            raise _cannot(name, kind, f"value {wrong!r} is not a number") from None
    if hasattr(series.dtype, "numpy_dtype"):  # nullable pandas dtypes (Int64, boolean ...)
        series = series.astype("float64" if missing.any() else series.dtype.numpy_dtype)
    return _numbers(series.to_numpy(), kind, name, nulls=True)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _has_arrays(series: Any) -> bool:
    import numpy as np

    first = next((v for v in series if v is not None), None)
    return isinstance(first, (list, tuple, np.ndarray))


def _numbers(array: Any, kind: Any, name: str, nulls: bool) -> Any:
    """A numeric or bool numpy array converted to ``kind``'s numpy type, safely."""
    import numpy as np
    import pandas as pd

    target = np.dtype(_NUMPY[kind.typeName()])
    source = array.dtype
    if source.kind not in "biuf":
        raise _cannot(name, kind, f"values of dtype {source} are not numbers")
    if target.kind == "f" or source == target:
        return array.astype(target, copy=False)
    mask = np.isnan(array) if source.kind == "f" else np.zeros(array.shape, dtype=bool)
    if mask.any() and not nulls:
        raise _cannot(name, kind, "it holds NaN, which arrays of this type cannot hold")
    present = array[~mask]
    if target.kind == "b":
        if source.kind != "b" and not np.isin(present, (0, 1)).all():
            raise _cannot(name, kind, "only bools or 0/1 convert to boolean")
        converted = array == 1 if source.kind != "b" else array
    else:
        if source.kind == "f" and not (np.mod(present, 1) == 0).all():
            wrong = present[np.mod(present, 1) != 0][0].item()
            raise _cannot(name, kind, f"value {wrong!r} is not a whole number")
        info = np.iinfo(target)
        if present.size and (present.min() < info.min or present.max() > info.max):
            raise _cannot(name, kind, f"values from {present.min()} to {present.max()} overflow it")
        filled = array.copy()
        filled[mask] = 0
        converted = filled.astype(target)
    if mask.any():
        if target.kind == "b":
            return pd.arrays.BooleanArray(converted.astype(bool), mask)
        return pd.arrays.IntegerArray(converted, mask)
    return converted


def _array_rows(values: Any, kind: Any, name: str) -> list[Any]:
    """Each row's array converted to the element type: numpy arrays (1 level) or lists."""
    import numpy as np

    leaf, depth = kind.elementType, 1
    while leaf.typeName() == "array":
        leaf, depth = leaf.elementType, depth + 1
    array = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if array.dtype != object:
        if array.ndim != depth + 1:
            got = "one value" if array.ndim == 1 else f"{array.ndim - 1}-dimensional arrays"
            raise _cannot(name, kind, f"the model returned {got} per row")
        converted = _leaf(array, leaf, kind, name)
        return list(converted) if depth == 1 else converted.tolist()
    rows: list[Any] = []
    for row in array:
        if row is None:
            rows.append(None)
            continue
        items = np.asarray(row)
        if items.ndim != depth:
            raise _cannot(name, kind, f"a row holds a {items.ndim}-dimensional value")
        converted = _leaf(items, leaf, kind, name)
        rows.append(converted if depth == 1 else converted.tolist())
    return rows


def _leaf(array: Any, leaf: Any, kind: Any, name: str) -> Any:
    tname = leaf.typeName()
    if tname in _NUMPY:
        return _numbers(array, leaf, name, nulls=False)
    if tname == "string":
        return array.astype(str).astype(object)
    if tname == "timestamp" and array.dtype.kind != "M":
        raise _cannot(name, kind, f"values of dtype {array.dtype} are not timestamps")
    return array
