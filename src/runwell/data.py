"""Describe the datasets a run uses: ``runwell.data.from_pandas(df, source=..., name=...)``.

The digest is a short hash of the content (sampled rows for big frames), so the same data
logged twice is recognised as one dataset.
"""

from __future__ import annotations

import json
from typing import Any

from runwell.entities import Dataset
from runwell.errors import InvalidArgument

__all__ = ["from_numpy", "from_pandas"]

_MAX_HASHED_ROWS = 10_000


def _source(source: str | None) -> tuple[str, str]:
    if source is None:
        return "code", json.dumps({})
    kind = "local" if "://" not in source or source.startswith("file:") else source.split(":")[0]
    return kind, json.dumps({"uri": source})


def from_pandas(
    df: Any, source: str | None = None, targets: str | None = None, name: str | None = None
) -> Dataset:
    """A Dataset for a pandas DataFrame, with its schema and row count as profile."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    sample = df.head(_MAX_HASHED_ROWS)
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    digest.update(pd.util.hash_pandas_object(sample, index=False).to_numpy().tobytes())
    digest.update(str(len(df)).encode())
    schema = {
        "mlflow_colspec": [
            {"type": _column_type(str(dtype)), "name": str(column), "required": True}
            for column, dtype in df.dtypes.items()
        ]
    }
    source_type, source_json = _source(source)
    profile = {"num_rows": len(df), "num_elements": int(df.size)}
    if targets is not None and targets not in df.columns:
        raise InvalidArgument(f"Target column '{targets}' is not a column of the DataFrame.")
    return Dataset(
        name=name or "dataset",
        digest=digest.hexdigest()[:8],
        source_type=source_type,
        source=source_json,
        schema=json.dumps(schema),
        profile=json.dumps(profile),
    )


def from_numpy(
    features: Any, source: str | None = None, targets: Any = None, name: str | None = None
) -> Dataset:
    """A Dataset for numpy features (and optional targets)."""
    import numpy as np

    array = np.ascontiguousarray(features)
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    digest.update(array[:_MAX_HASHED_ROWS].tobytes())
    digest.update(str(array.shape).encode())
    schema: dict[str, Any] = {
        "mlflow_tensorspec": {
            "features": json.dumps(
                [
                    {
                        "type": "tensor",
                        "tensor-spec": {"dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]},
                    }
                ]
            ),
        }
    }
    profile: dict[str, Any] = {
        "features_shape": list(array.shape),
        "features_size": int(array.size),
    }
    if targets is not None:
        target_array = np.ascontiguousarray(targets)
        digest.update(target_array[:_MAX_HASHED_ROWS].tobytes())
        profile["targets_shape"] = list(target_array.shape)
    source_type, source_json = _source(source)
    return Dataset(
        name=name or "dataset",
        digest=digest.hexdigest()[:8],
        source_type=source_type,
        source=source_json,
        schema=json.dumps(schema),
        profile=json.dumps(profile),
    )


def _column_type(dtype: str) -> str:
    if dtype.startswith(("int", "uint")):
        return "long"
    if dtype.startswith("float"):
        return "double"
    if dtype == "bool":
        return "boolean"
    if dtype.startswith("datetime"):
        return "datetime"
    return "string"
