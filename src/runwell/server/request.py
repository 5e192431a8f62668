"""Turn a Starlette request into ``wire.fields.Fields``, the way MLflow's server reads them.

reference/mlflow-rest-api.md §1.2: GET parameters come from the query string (repeated keys
are lists), falling back to a JSON body when there is no query string; POST, PATCH and DELETE
carry a JSON body (query parameters are ignored, as the stock server does). POST must say
``Content-Type: application/json``. Path parameters (``/logged-models/{model_id}``) win over
body fields of the same name.

A JSON body nested more than MAX_JSON_DEPTH levels deep (runwell.wire.nesting) is a 400.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from runwell.errors import ErrorCode, InvalidArgument, RunwellError
from runwell.wire.fields import Fields, decode_json_body
from runwell.wire.nesting import MAX_JSON_DEPTH, nested_too_deep

JSON_TYPE = "application/json"
# Far above any valid RPC (a full log-batch is a few MB; dataset profiles are capped), low
# enough that one request cannot make the server hold gigabytes. Artifact uploads stream and
# are not limited here.
MAX_JSON_BODY = 64 * 1024 * 1024


def _too_large(limit: int) -> RunwellError:
    return RunwellError(
        f"Request body is larger than {limit // (1024 * 1024)} MiB.", ErrorCode.BAD_REQUEST
    )


def body_limit(request: Request) -> int:
    """The app's JSON body limit (``--max-request-body-mb``), else MAX_JSON_BODY."""
    context = getattr(request.app.state, "runwell", None)
    limits = getattr(context, "limits", None)
    return MAX_JSON_BODY if limits is None else int(limits.max_request_body)


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The whole body of a JSON request, refused past ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def check_json_content_type(request: Request) -> None:
    """POST bodies must be declared JSON (parameters such as ``charset`` are fine)."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise InvalidArgument("Content-Type header is missing.")
    if content_type.split(";", 1)[0].strip().lower() != JSON_TYPE:
        raise InvalidArgument(f"Content-Type must be one of ['{JSON_TYPE}'], got '{content_type}'.")


def _too_deep() -> InvalidArgument:
    return InvalidArgument(
        f"Invalid request body: JSON nested more than {MAX_JSON_DEPTH} levels deep is refused."
    )


def decode_body(body: bytes) -> dict[str, Any]:
    """A JSON object body, decoded by orjson on the hot path.

    Anything orjson refuses (bare ``NaN`` literals, integers past 64 bits, a JSON string that
    holds JSON, nesting past orjson's 1,024 levels) goes through the standard decoder, which
    owns the error messages.
    """
    if not body:
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        try:
            value = decode_json_body(body)
        except RecursionError:
            raise _too_deep() from None
    if nested_too_deep(body, value):
        raise _too_deep()
    decoded: dict[str, Any] = value
    return decoded


async def request_fields(request: Request, limit: int | None = None) -> Fields:
    """The request's fields: query string for GET, JSON body otherwise (at most ``limit``
    bytes, by default the app's ``--max-request-body-mb``)."""
    path_params = request.path_params
    if request.method in ("GET", "HEAD"):
        query = request.scope.get("query_string", b"")
        if query:
            items = [(k, v) for k, v in request.query_params.multi_items() if k not in path_params]
            items.extend(path_params.items())
            return Fields.from_query_items(items)
        values = decode_body(await read_body(request, limit or body_limit(request)))
    else:
        if request.method == "POST":
            check_json_content_type(request)
        values = decode_body(await read_body(request, limit or body_limit(request)))
    if path_params:
        values = {**values, **path_params}
    return Fields(values)
