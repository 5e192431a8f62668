"""Schema enforcement: a frame that already conforms is passed through, anything else converts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runwell.errors import InvalidArgument
from runwell.models import ColSpec, DataType, Schema
from runwell.models.enforcement import enforce_schema

SCHEMA = Schema([ColSpec(DataType.double, "a"), ColSpec(DataType.long, "b")])


def test_a_conforming_frame_is_a_new_frame_with_the_same_columns() -> None:
    frame = pd.DataFrame({"a": np.array([0.5, 1.5]), "b": np.array([1, 2], dtype=np.int64)})
    out = enforce_schema(frame, SCHEMA)
    assert out is not frame
    pd.testing.assert_frame_equal(out, frame)
    out["a"] = 0.0  # the model may change its input; the caller's frame stays as it was
    assert frame["a"].tolist() == [0.5, 1.5]


def test_order_extra_columns_and_safe_conversions_still_go_the_long_way() -> None:
    frame = pd.DataFrame(
        {"b": np.array([1, 2], dtype=np.int32), "a": np.array([1, 2]), "extra": ["x", "y"]}
    )
    out = enforce_schema(frame, SCHEMA)
    assert list(out.columns) == ["a", "b"]
    assert [str(t) for t in out.dtypes] == ["float64", "int64"]


def test_an_unsafe_type_is_refused_even_with_the_right_columns() -> None:
    frame = pd.DataFrame({"a": np.array([0.5]), "b": np.array([1.5])})
    with pytest.raises(InvalidArgument, match="column 'b'"):
        enforce_schema(frame, SCHEMA)
