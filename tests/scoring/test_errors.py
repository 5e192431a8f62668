"""Bad requests get MLflow's error shape and a 4xx, never a 500."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.scoring.conftest import EchoModel, FailingModel, Metadata

Served = Callable[..., str]


def _post(
    url: str, content: bytes | str, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return httpx.post(f"{url}/invocations", content=content, headers=headers, timeout=10)


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code
    assert isinstance(body["message"], str)
    return body


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ('{"inputs": [1, 2', "valid JSON"),
        (b"\xff\xfe{}", "valid JSON"),
        ("[1, 2, 3]", "Received a list"),
        ('"text"', "exactly one of the input fields"),
        ('{"data": [[1]], "columns": ["a"]}', "input fields: ['data', 'columns']"),
        ('{"inputs": [1], "instances": [1]}', "exactly one of the input fields"),
        ("{}", "exactly one of the input fields"),
        ('{"dataframe_split": [[1, 2]]}', "split format must be a dictionary"),
        ('{"dataframe_split": {"columns": ["a"]}}', "must have 'data' field"),
        ('{"dataframe_split": {"data": [[1]], "rows": 1}}', "must have 'data' field"),
        ('{"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}', "not a valid dataframe"),
        ('{"dataframe_records": {"a": 1}}', "list of records. Got dictionary"),
        ('{"instances": [{"a": 1}, {"a": 2, "b": 3}]}', "not the same"),
        ('{"inputs": [1], "params": [1, 2]}', "'params' must be a JSON object"),
    ],
)
def test_bad_json_payloads_are_400_bad_request(served: Served, content: str, expect: str) -> None:
    url = served(EchoModel())
    body = _error(_post(url, content), 400, "BAD_REQUEST")
    assert expect in body["message"]


def test_value_not_convertible_to_signature_type_names_the_column(served: Served) -> None:
    url = served(EchoModel(schema='[{"type": "long", "name": "age"}]'))
    response = _post(url, '{"dataframe_split": {"columns": ["age"], "data": [["old"]]}}')
    body = _error(response, 400, "BAD_REQUEST")
    assert "column age" in body["message"]
    assert "int64" in body["message"]


def test_csv_that_does_not_parse_is_400(served: Served) -> None:
    url = served(EchoModel(schema='[{"type": "long", "name": "a"}]'))
    body = _error(_post(url, "a\nnot-a-number\n", "text/csv"), 400, "BAD_REQUEST")
    assert "CSV" in body["message"]


@pytest.mark.parametrize(
    ("content_type", "expect"),
    [
        ("text/plain", "only supports the following content types"),
        (None, "only supports the following content types"),
        ("application/json; charset=latin-1", "only supports UTF-8"),
        ("application/json; format=pandas-split", "Unrecognized content type parameters: format"),
    ],
)
def test_unsupported_content_types_are_415_plain_text(
    served: Served, content_type: str | None, expect: str
) -> None:
    url = served(EchoModel())
    response = _post(url, '{"inputs": [1]}', content_type)
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("text/plain")
    assert expect in response.text


def test_body_over_the_limit_is_413_declared_or_streamed(served: Served) -> None:
    url = served(EchoModel(), max_body_bytes=1000)
    small = _post(url, '{"inputs": [1]}')
    assert small.status_code == 200
    body = _error(_post(url, '{"inputs": [' + "1," * 600 + "1]}"), 413, "RESOURCE_EXHAUSTED")
    assert "at most 1000 bytes" in body["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        yield b'{"inputs": ['
        for _ in range(100):
            yield b"1," * 20
        yield b"1]}"

    streamed = httpx.post(
        f"{url}/invocations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    _error(streamed, 413, "RESOURCE_EXHAUSTED")


def test_schema_enforcement_error_from_the_model_is_400_invalid_parameter(served: Served) -> None:
    url = served(FailingModel())
    response = _post(url, '{"dataframe_split": {"columns": ["y"], "data": [[1]]}}')
    body = _error(response, 400, "INVALID_PARAMETER_VALUE")
    assert "missing column 'x'" in body["message"]


def test_unexpected_error_inside_predict_is_400_with_stack_trace(served: Served) -> None:
    url = served(FailingModel())
    body = _error(_post(url, '{"inputs": [1]}'), 400, "BAD_REQUEST")
    assert "unexpected error while evaluating the model" in body["message"]
    assert "the model cannot handle this input" in body["stack_trace"]


def test_wrong_method_and_unknown_path_answer_like_fastapi(served: Served) -> None:
    url = served(EchoModel())
    response = httpx.get(f"{url}/invocations")
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert response.headers["allow"] == "POST"
    response = httpx.post(f"{url}/ping")
    assert response.status_code == 405
    response = httpx.get(f"{url}/nope")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


class _SlowModel:
    metadata = Metadata()

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        time.sleep(0.5)
        return [1]


def test_request_past_the_timeout_is_504(served: Served) -> None:
    url = served(_SlowModel(), timeout_s=0.05)
    body = _error(_post(url, '{"inputs": [1]}'), 504, "DEADLINE_EXCEEDED")
    assert body["message"] == "Request processing time exceeded limit"


def test_server_keeps_serving_after_errors(served: Served) -> None:
    url = served(FailingModel())
    for _ in range(3):
        assert _post(url, "{").status_code == 400
    assert httpx.get(f"{url}/ping").status_code == 200
