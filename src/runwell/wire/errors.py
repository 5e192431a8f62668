"""The error envelope: ``{"error_code", "message"}`` and the HTTP status that goes with it."""

from __future__ import annotations

import json
from typing import Any

from runwell.errors import (
    CODE_BY_STATUS,
    ErrorCode,
    InvalidArgument,
    RunwellError,
    error_for_code,
)


def error_to_json(error: RunwellError) -> dict[str, Any]:
    return {"error_code": error.code.name, "message": error.message}


def error_from_response(status: int, body: bytes) -> RunwellError:
    """The RunwellError a non-2xx response stands for, envelope or not."""
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error_code"), str):
        message = payload.get("message")
        return error_for_code(payload["error_code"], str(message or f"HTTP {status}"))
    code = CODE_BY_STATUS.get(status, ErrorCode.INTERNAL_ERROR)
    text = body.decode("utf-8", "replace").strip()[:500] or f"HTTP {status}"
    return error_for_code(code.name, f"HTTP {status}: {text}")


# Request-field errors in MLflow's wording (mlflow/server/handlers.py schema checks), so a
# client or test that matches on the message sees the stock server's text.
DOCS_HINT = " See the API docs for more information about request parameters."


def missing_value(name: str) -> InvalidArgument:
    """A required field that is absent, null or ``""``."""
    return InvalidArgument(f"Missing value for required parameter '{name}'.{DOCS_HINT}")


def invalid_value(name: str, value: object) -> InvalidArgument:
    """A field whose JSON type is wrong (a number where a string belongs, and so on)."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return InvalidArgument(
        f"Invalid value {shown} for parameter '{name}' supplied:  Hint: Value was of type "
        f"'{type(value).__name__}'.{DOCS_HINT}"
    )
