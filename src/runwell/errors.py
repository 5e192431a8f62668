"""The one exception family of runwell.

Every error a user can see is a ``RunwellError`` carrying an ``ErrorCode``; the code knows
the HTTP status the server answers with, so the table lives here and nowhere else::

    RunwellError
    ├── InvalidArgument   INVALID_PARAMETER_VALUE (400)
    ├── NotFound          RESOURCE_DOES_NOT_EXIST (404)
    ├── AlreadyExists     RESOURCE_ALREADY_EXISTS (400, as MLflow answers it)
    ├── InvalidState      INVALID_STATE (500)
    └── Unavailable       TEMPORARILY_UNAVAILABLE (503)
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ErrorCode(enum.Enum):
    """MLflow's error codes (name = wire name) with their HTTP status."""

    INTERNAL_ERROR = 500
    TEMPORARILY_UNAVAILABLE = 503
    IO_ERROR = 500
    BAD_REQUEST = 400
    DEADLINE_EXCEEDED = 504
    CANCELLED = 499
    RESOURCE_EXHAUSTED = 429
    ABORTED = 409
    NOT_FOUND = 404
    ALREADY_EXISTS = 409
    UNAUTHENTICATED = 401
    INVALID_PARAMETER_VALUE = 400
    ENDPOINT_NOT_FOUND = 404
    MALFORMED_REQUEST = 500
    INVALID_STATE = 500
    PERMISSION_DENIED = 403
    FEATURE_DISABLED = 500
    CUSTOMER_UNAUTHORIZED = 401
    REQUEST_LIMIT_EXCEEDED = 429
    RESOURCE_CONFLICT = 409
    NOT_IMPLEMENTED = 501
    DATA_LOSS = 500
    RESOURCE_ALREADY_EXISTS = 400
    RESOURCE_DOES_NOT_EXIST = 404

    # Several codes share a status, so the enum values would alias one another; give each
    # member its own identity and keep the status as an attribute.
    def __new__(cls, status: int) -> ErrorCode:
        member = object.__new__(cls)
        member._value_ = len(cls.__members__)
        member.http_status = status
        return member

    http_status: int


class RunwellError(Exception):
    """Base of every error runwell raises on purpose."""

    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    @property
    def http_status(self) -> int:
        return self.code.http_status

    def __str__(self) -> str:
        return self.message


class InvalidArgument(RunwellError):
    """A request or argument does not have the shape or value expected."""

    default_code = ErrorCode.INVALID_PARAMETER_VALUE


class NotFound(RunwellError):
    """The named resource does not exist."""

    default_code = ErrorCode.RESOURCE_DOES_NOT_EXIST


class AlreadyExists(RunwellError):
    """A resource with that identity exists already."""

    default_code = ErrorCode.RESOURCE_ALREADY_EXISTS


class InvalidState(RunwellError):
    """The operation does not fit the resource's current state (e.g. a stale schema)."""

    default_code = ErrorCode.INVALID_STATE


class Unavailable(RunwellError):
    """A backend is unreachable or busy; the same call may succeed later."""

    default_code = ErrorCode.TEMPORARILY_UNAVAILABLE


_SUBCLASS_BY_CODE: dict[ErrorCode, type[RunwellError]] = {
    ErrorCode.INVALID_PARAMETER_VALUE: InvalidArgument,
    ErrorCode.RESOURCE_DOES_NOT_EXIST: NotFound,
    ErrorCode.RESOURCE_ALREADY_EXISTS: AlreadyExists,
    ErrorCode.INVALID_STATE: InvalidState,
    ErrorCode.TEMPORARILY_UNAVAILABLE: Unavailable,
}


def error_for_code(code_name: str, message: str) -> RunwellError:
    """Rebuild the exception a remote side raised from its wire ``error_code`` name."""
    code = ErrorCode.__members__.get(code_name, ErrorCode.INTERNAL_ERROR)
    return _SUBCLASS_BY_CODE.get(code, RunwellError)(message, code)
