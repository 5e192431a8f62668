"""Scoring errors and the JSON body every failed request answers with.

A bad payload is the client's fault, so it must never come back as a 500: the parsers raise
``ScoringError`` (a ``RunwellError``) carrying the MLflow error code and, where HTTP has a more
precise word than the code's own status (413 body too large, 415 media type), that status.
The body is MLflow's scoring error shape: ``{"error_code", "message"[, "stack_trace"]
[, "sqlstate", "error_class"]}`` (reference mlflow-formats.md §4).
"""

from __future__ import annotations

from typing import Any

import orjson

from runwell.errors import ErrorCode, RunwellError

# MLflow's wording for the request envelope, kept in substance so users find it in search.
FORMAT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
REQUIRED_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields "
    "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}"
)
PROTOCOL_NOTE = (
    "Note: the scoring protocol changed in MLflow 2.0; a bare {'columns': ..., 'data': ...} "
    "body (the 1.x format) must now be wrapped as {'dataframe_split': {...}}."
)


class ScoringError(RunwellError):
    """A request the scoring server refuses; ``status`` overrides the code's own HTTP status."""

    default_code = ErrorCode.BAD_REQUEST

    def __init__(
        self,
        message: str,
        code: ErrorCode | None = None,
        *,
        status: int | None = None,
        stack_trace: str | None = None,
        plain_text: bool = False,
    ) -> None:
        super().__init__(message, code)
        self._status = status
        self.stack_trace = stack_trace
        # MLflow answers content-type refusals (415) in text/plain, not JSON.
        self.plain_text = plain_text

    @property
    def http_status(self) -> int:
        return self._status if self._status is not None else self.code.http_status


def invalid_input(message: str) -> ScoringError:
    """A body that does not decode into model input (MLflow prefixes these "Invalid input.")."""
    return ScoringError(f"Invalid input. {message}", ErrorCode.BAD_REQUEST)


def error_body(error: RunwellError) -> bytes:
    """The JSON bytes for ``error``; extra MLflow fields come from the exception if it has them."""
    body: dict[str, Any] = {"error_code": error.code.name, "message": error.message}
    stack_trace = getattr(error, "stack_trace", None)
    if stack_trace:
        body["stack_trace"] = stack_trace
    for key in ("sqlstate", "error_class"):
        value = getattr(error, key, None)
        if isinstance(value, str):
            body[key] = value
    return orjson.dumps(body)
