"""Predictions of every common type are answered as MLflow's server answers them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd
import pytest

from runwell.errors import RunwellError
from runwell.scoring import predictions_body
from tests.scoring.conftest import ReturnModel

CASES: list[tuple[str, Callable[[], Any], Any]] = [
    ("ndarray", lambda: np.array([1.5, 2.0]), [1.5, 2.0]),
    ("int ndarray 2d", lambda: np.array([[1, 2], [3, 4]], dtype=np.int32), [[1, 2], [3, 4]]),
    ("str ndarray", lambda: np.array(["a", "b"]), ["a", "b"]),
    ("object ndarray", lambda: np.array([1, "a", None], dtype=object), [1, "a", None]),
    ("sliced ndarray", lambda: np.arange(6.0).reshape(2, 3)[:, 1], [1.0, 4.0]),
    ("nan", lambda: np.array([np.nan, 1.0]), [None, 1.0]),
    ("numpy scalar", lambda: np.float32(0.5), 0.5),
    ("numpy int", lambda: np.int64(7), 7),
    ("list", lambda: [1, "x", np.int64(2)], [1, "x", 2]),
    (
        "dict",
        lambda: {"n": np.int64(1), "arr": np.array([True, False])},
        {"n": 1, "arr": [True, False]},
    ),
    ("str", lambda: "hello", "hello"),
    (
        "dataframe",
        lambda: pd.DataFrame({"a": [1, 2], "b": ["x", None]}),
        [{"a": 1, "b": "x"}, {"a": 2, "b": None}],
    ),
    ("named series", lambda: pd.Series([0.1, 0.2], name="p"), [{"p": 0.1}, {"p": 0.2}]),
    ("unnamed series", lambda: pd.Series([3, 4]), [{"0": 3}, {"0": 4}]),
    ("bytes", lambda: b"\x00\x01", "AAE=\n"),
    (
        "timestamps",
        lambda: pd.DataFrame({"t": pd.to_datetime(["2024-01-02T03:04:05"])}),
        [{"t": "2024-01-02T03:04:05"}],
    ),
    ("date", lambda: datetime.date(2024, 5, 6), "2024-05-06"),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_predictions_body_encodes_like_mlflow(make: Callable[[], Any], expected: Any) -> None:
    assert orjson.loads(predictions_body(make())) == {"predictions": expected}


def test_unwrapped_body_has_no_envelope() -> None:
    assert orjson.loads(predictions_body({"choices": []}, unwrapped=True)) == {"choices": []}


def test_unencodable_predictions_are_a_clear_error() -> None:
    with pytest.raises(RunwellError, match=r"cannot be written as JSON.*: object") as caught:
        predictions_body([object()])
    assert caught.value.http_status == 500


def test_model_without_params_argument_is_served(served: Callable[..., str]) -> None:
    url = served(ReturnModel(lambda: pd.DataFrame({"label": ["cat"], "score": [np.float32(0.5)]})))
    response = httpx.post(f"{url}/invocations", json={"inputs": [1], "params": {"k": 1}})
    assert response.status_code == 200
    assert response.json() == {"predictions": [{"label": "cat", "score": 0.5}]}


def test_unencodable_predictions_answer_500_with_the_error_shape(
    served: Callable[..., str],
) -> None:
    url = served(ReturnModel(lambda: [object()]))
    response = httpx.post(f"{url}/invocations", json={"inputs": [1]})
    assert response.status_code == 500
    assert response.json()["error_code"] == "INTERNAL_ERROR"
    assert "cannot be written as JSON" in response.json()["message"]
