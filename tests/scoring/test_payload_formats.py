"""Every request format of MLflow's scoring protocol reaches the model as MLflow passes it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.scoring.conftest import EchoModel

Served = Callable[..., str]
TWO_COLS = '[{"type": "long", "name": "a"}, {"type": "double", "name": "b"}]'


def _invoke(url: str, body: Any, content_type: str = "application/json") -> Any:
    kwargs: dict[str, Any] = (
        {"json": body} if not isinstance(body, (str, bytes)) else {"content": body}
    )
    response = httpx.post(
        f"{url}/invocations", headers={"Content-Type": content_type}, timeout=10, **kwargs
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_ping_health_and_version_answer_like_mlflow(served: Served) -> None:
    url = served(EchoModel())
    for path in ("/ping", "/health"):
        response = httpx.get(url + path)
        assert (response.status_code, response.text) == (200, "\n")
        assert response.headers["content-type"] == "application/json"
    version = httpx.get(url + "/version")
    assert version.status_code == 200
    assert version.text[0].isdigit()


def test_dataframe_split_becomes_a_dataframe_with_columns_and_index(served: Served) -> None:
    url = served(EchoModel())
    body = {
        "dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5], [3, 4.0]], "index": [7, 9]}
    }
    got = _invoke(url, body)["predictions"]
    assert got["input"]["kind"] == "frame"
    assert got["input"]["columns"] == ["a", "b"]
    assert got["input"]["dtypes"] == ["int64", "float64"]
    assert got["input"]["index"] == [7, 9]
    assert got["input"]["records"] == [{"a": 1, "b": 2.5}, {"a": 3, "b": 4.0}]
    assert got["params"] is None


def test_dataframe_records_becomes_a_dataframe(served: Served) -> None:
    url = served(EchoModel())
    got = _invoke(url, {"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]})
    frame = got["predictions"]["input"]
    assert frame["columns"] == ["a", "b"]
    assert frame["records"] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_schema_casts_dataframe_columns_to_signature_types(served: Served) -> None:
    url = served(EchoModel(schema=TWO_COLS))
    got = _invoke(url, {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}})
    assert got["predictions"]["input"]["dtypes"] == ["int64", "float64"]


def test_instances_rows_become_a_dict_of_arrays(served: Served) -> None:
    url = served(EchoModel(schema=TWO_COLS))
    got = _invoke(url, {"instances": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]})["predictions"]
    items = got["input"]["items"]
    assert items["a"] == {"kind": "ndarray", "dtype": "int64", "shape": [2], "v": [1, 3]}
    assert items["b"] == {"kind": "ndarray", "dtype": "float64", "shape": [2], "v": [2.0, 4.0]}


def test_instances_of_values_and_inputs_lists_become_ndarrays(served: Served) -> None:
    url = served(EchoModel())
    for key in ("instances", "inputs"):
        got = _invoke(url, {key: [[1.0, 2.0], [3.0, 4.0]]})["predictions"]["input"]
        assert got == {
            "kind": "ndarray",
            "dtype": "float64",
            "shape": [2, 2],
            "v": [[1, 2], [3, 4]],
        }


def test_inputs_columnar_dict_becomes_arrays_typed_by_a_tensor_schema(served: Served) -> None:
    schema = (
        '[{"type": "tensor", "name": "x", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}},'
        ' {"type": "tensor", "name": "y", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    )
    url = served(EchoModel(schema=schema))
    got = _invoke(url, {"inputs": {"x": [[1, 2]], "y": [5]}})["predictions"]["input"]["items"]
    assert got["x"]["dtype"] == "float32"
    assert got["x"]["shape"] == [1, 2]
    assert got["y"] == {"kind": "ndarray", "dtype": "int64", "shape": [1], "v": [5]}


def test_inputs_list_for_a_single_named_input_is_that_column(served: Served) -> None:
    url = served(EchoModel(schema='[{"type": "string", "name": "text"}]'))
    got = _invoke(url, {"inputs": ["hello", "world"]})["predictions"]["input"]
    assert got["kind"] == "dict"
    assert got["items"]["text"]["v"] == ["hello", "world"]


def test_params_reach_predict(served: Served) -> None:
    url = served(EchoModel())
    body = {"inputs": [1, 2], "params": {"k": 5, "mode": "fast"}}
    assert _invoke(url, body)["predictions"]["params"] == {"k": 5, "mode": "fast"}


def test_nan_literals_from_mlflow_clients_are_accepted(served: Served) -> None:
    url = served(EchoModel())
    body = '{"dataframe_split": {"columns": ["a"], "data": [[NaN], [1.5]]}}'
    got = _invoke(url, body)["predictions"]["input"]
    assert got["records"] == [{"a": None}, {"a": 1.5}]  # NaN answered as JSON null


def test_csv_body_becomes_a_dataframe(served: Served) -> None:
    url = served(EchoModel())
    got = _invoke(url, "a,b\n1,x\n2,y\n", "text/csv")["predictions"]["input"]
    assert got["columns"] == ["a", "b"]
    assert got["records"] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_csv_with_schema_keeps_strings_and_casts_numbers(served: Served) -> None:
    url = served(
        EchoModel(schema='[{"type": "string", "name": "code"}, {"type": "double", "name": "v"}]')
    )
    got = _invoke(url, "code,v\n007,1\n010,2\n", "text/csv; charset=utf-8")["predictions"]["input"]
    assert got["records"] == [{"code": "007", "v": 1.0}, {"code": "010", "v": 2.0}]
    assert got["dtypes"][1] == "float64"


def test_parquet_body_becomes_a_dataframe(served: Served) -> None:
    url = served(EchoModel())
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(buffer)
    got = _invoke(url, buffer.getvalue(), "application/vnd.apache.parquet")
    assert got["predictions"]["input"]["records"] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_llm_unified_payload_goes_to_the_model_whole_and_unwrapped(served: Served) -> None:
    url = served(EchoModel())
    body = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.1}
    got = _invoke(url, body)
    assert "predictions" not in got
    assert got["input"]["kind"] == "dict"
    assert set(got["input"]["items"]) == {"messages", "temperature"}


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_content_type_variants_are_accepted(served: Served, content_type: str) -> None:
    url = served(EchoModel())
    assert _invoke(url, '{"inputs": [1]}', content_type)["predictions"]["input"]["v"] == [1]


ALL_DOUBLE = '[{"type": "double", "name": "a"}, {"type": "double", "name": "b"}]'


def test_all_double_signature_fast_path_matches_the_general_path(served: Served) -> None:
    url = served(EchoModel(schema=ALL_DOUBLE))
    body = {
        "dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5], [None, 4]], "index": [5, 6]}
    }
    got = _invoke(url, body)["predictions"]["input"]
    assert got["dtypes"] == ["float64", "float64"]
    assert got["index"] == [5, 6]
    assert got["records"] == [{"a": 1.0, "b": 2.5}, {"a": None, "b": 4.0}]
    reordered = {"dataframe_split": {"columns": ["b", "a"], "data": [[1, "x"]]}}
    response = httpx.post(f"{url}/invocations", json=reordered)
    assert response.status_code == 400
    assert "column a" in response.json()["message"]
