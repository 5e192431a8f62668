"""JSON responses as MLflow's client expects them: orjson bytes, ``{}`` for empty results."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"
EMPTY = b"{}"


_encode = msgspec.json.Encoder().encode


def encode(payload: dict[str, Any]) -> bytes:
    """The body for a payload that the wire codecs already shaped (NaN as strings).

    msgspec also writes entity dataclasses (a Metric is exactly its wire object) directly,
    without a dict per object; only all-finite values may go that way (it writes NaN as null).
    """
    if not payload:
        return EMPTY
    return _encode(payload)


def json_response(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status_code=status, media_type=JSON_MEDIA_TYPE, headers=headers)
