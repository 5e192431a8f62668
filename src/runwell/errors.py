"""The one exception family of runwell.

Every error a user can see is a ``RunwellError`` carrying an ``ErrorCode``; the code knows
the HTTP status the server answers with, so the table lives here and nowhere else::

    RunwellError
    ├── InvalidArgument   INVALID_PARAMETER_VALUE (400)
    ├── NotFound          RESOURCE_DOES_NOT_EXIST (404)
    ├── AlreadyExists     RESOURCE_ALREADY_EXISTS (400, as MLflow answers it)
    ├── InvalidState      INVALID_STATE (500)
    ├── Unavailable       TEMPORARILY_UNAVAILABLE (503)
    └── RestException     decoded from a server's error answer; each decoded error is also
                          the subclass its code names (``NotFound`` and ``RestException``)

``RunwellError`` is MLflow's ``MlflowException`` too (``runwell.exceptions`` names it so): it
takes ``error_code=`` and answers ``error_code``, ``get_http_status_code()`` and
``serialize_as_json()`` as MLflow's does, so ``except MlflowException`` catches runwell's errors.
"""

from __future__ import annotations

import enum
import json
from typing import Any, ClassVar


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
    """Base of every error runwell raises on purpose; also MLflow's ``MlflowException``."""

    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: object,
        code: ErrorCode | str | int | None = None,
        *,
        error_code: ErrorCode | str | int | None = None,
        **kwargs: Any,
    ) -> None:
        message = str(message)
        super().__init__(message)
        self.message = message
        given = error_code if error_code is not None else code
        self.code = self.default_code if given is None else _as_code(given)
        # MLflow puts extra keyword arguments into the JSON form of the error.
        self.json_kwargs: dict[str, Any] = kwargs

    @property
    def http_status(self) -> int:
        return self.code.http_status

    @property
    def error_code(self) -> str:
        """The code's wire name (``"RESOURCE_DOES_NOT_EXIST"``), as MLflow's attribute."""
        return self.code.name

    def get_http_status_code(self) -> int:
        return self.http_status

    def serialize_as_json(self) -> str:
        """``{"error_code", "message", ...json_kwargs}`` as a JSON string."""
        return json.dumps(
            {"error_code": self.error_code, "message": self.message, **self.json_kwargs}
        )

    @classmethod
    def invalid_parameter_value(cls, message: object, **kwargs: Any) -> RunwellError:
        """An error of this class with code INVALID_PARAMETER_VALUE."""
        return cls(message, error_code=ErrorCode.INVALID_PARAMETER_VALUE, **kwargs)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles by its args (the message alone) and calls __init__ with them; rebuild
        # without a subclass's __init__ and restore every attribute (a ScoringError's status).
        return (
            _rebuild,
            (type(self), self.message, self.code.name, self.json_kwargs),
            dict(self.__dict__),
        )


# MLflow's protobuf numbers for the codes, so MlflowException(msg, INVALID_PARAMETER_VALUE)
# works when a script took the constant from MLflow's generated module.
_CODE_BY_NUMBER = {
    1: "INTERNAL_ERROR",
    2: "TEMPORARILY_UNAVAILABLE",
    3: "IO_ERROR",
    4: "BAD_REQUEST",
    7: "DEADLINE_EXCEEDED",
    8: "CANCELLED",
    9: "RESOURCE_EXHAUSTED",
    10: "ABORTED",
    11: "NOT_FOUND",
    12: "ALREADY_EXISTS",
    13: "UNAUTHENTICATED",
    1000: "INVALID_PARAMETER_VALUE",
    1001: "ENDPOINT_NOT_FOUND",
    1002: "MALFORMED_REQUEST",
    1003: "INVALID_STATE",
    1004: "PERMISSION_DENIED",
    1005: "FEATURE_DISABLED",
    1006: "CUSTOMER_UNAUTHORIZED",
    1007: "REQUEST_LIMIT_EXCEEDED",
    1008: "RESOURCE_CONFLICT",
    1010: "NOT_IMPLEMENTED",
    1011: "DATA_LOSS",
    3001: "RESOURCE_ALREADY_EXISTS",
    3002: "RESOURCE_DOES_NOT_EXIST",
}


def _as_code(value: ErrorCode | str | int) -> ErrorCode:
    """An ErrorCode from a member, its wire name or MLflow's number; unknown ones are INTERNAL."""
    if isinstance(value, ErrorCode):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = _CODE_BY_NUMBER.get(value, "INTERNAL_ERROR")
    if isinstance(value, str):
        return ErrorCode.__members__.get(value, ErrorCode.INTERNAL_ERROR)
    raise TypeError(
        f"error_code must be an ErrorCode, its name or MLflow's number, not {type(value).__name__}"
    )


def _rebuild(
    cls: type[RunwellError], message: str, code: str, json_kwargs: dict[str, Any]
) -> RunwellError:
    error = cls.__new__(cls)
    RunwellError.__init__(error, message, code, **json_kwargs)
    return error


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


class RestException(RunwellError):
    """An error a tracking server answered with; built from its JSON envelope as MLflow's.

    ``RestException({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no run"})`` has the
    message ``"RESOURCE_DOES_NOT_EXIST: no run"``; an HTTP status in ``error_code`` is turned
    into the code it stands for. The errors runwell's REST stores raise are instances of this
    class and of the subclass the code names, with the server's message as it was sent.
    """

    def __init__(self, json: dict[str, Any]) -> None:
        if not isinstance(json, dict):
            raise TypeError(f"RestException takes the JSON error object, not {type(json).__name__}")
        code_name = json.get("error_code") or "INTERNAL_ERROR"
        message = json["message"] if "message" in json else f"Response: {json}"
        super().__init__(f"{code_name}: {message}", _code_of_answer(code_name))
        self.json = json


def _code_of_answer(code_name: object) -> ErrorCode:
    """The code of a wire ``error_code``: a name, or an HTTP status a proxy put there."""
    if isinstance(code_name, str) and code_name in ErrorCode.__members__:
        return ErrorCode[code_name]
    try:
        status = int(str(code_name))
    except ValueError:
        return ErrorCode.INTERNAL_ERROR
    return CODE_BY_STATUS.get(status, ErrorCode.INTERNAL_ERROR)


# A bare status stands for one code, as MLflow's client reads it (reference §1.4).
CODE_BY_STATUS = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.ENDPOINT_NOT_FOUND,
    409: ErrorCode.ALREADY_EXISTS,
    429: ErrorCode.RESOURCE_EXHAUSTED,
    499: ErrorCode.CANCELLED,
    500: ErrorCode.INTERNAL_ERROR,
    501: ErrorCode.NOT_IMPLEMENTED,
    503: ErrorCode.TEMPORARILY_UNAVAILABLE,
    504: ErrorCode.DEADLINE_EXCEEDED,
}


def _rebuild_rest(
    cls: type[RestException], message: str, code: str, payload: dict[str, Any]
) -> RestException:
    error = cls.__new__(cls)
    RunwellError.__init__(error, message, code)
    error.json = payload
    return error


class _RestError(RestException):
    """A decoded server error whose code has no subclass of its own."""


class _RestInvalidArgument(InvalidArgument, RestException):
    pass


class _RestNotFound(NotFound, RestException):
    pass


class _RestAlreadyExists(AlreadyExists, RestException):
    pass


class _RestInvalidState(InvalidState, RestException):
    pass


class _RestUnavailable(Unavailable, RestException):
    pass


_SUBCLASS_BY_CODE: dict[ErrorCode, type[RestException]] = {
    ErrorCode.INVALID_PARAMETER_VALUE: _RestInvalidArgument,
    ErrorCode.RESOURCE_DOES_NOT_EXIST: _RestNotFound,
    ErrorCode.RESOURCE_ALREADY_EXISTS: _RestAlreadyExists,
    ErrorCode.INVALID_STATE: _RestInvalidState,
    ErrorCode.TEMPORARILY_UNAVAILABLE: _RestUnavailable,
}


def error_for_code(code_name: str, message: str) -> RunwellError:
    """Rebuild the exception a remote side raised from its wire ``error_code`` name.

    The result is a ``RestException`` and the subclass the code names (``NotFound`` ...);
    its message is the server's, unprefixed, so remote and local errors read the same.
    """
    code = ErrorCode.__members__.get(code_name, ErrorCode.INTERNAL_ERROR)
    return _rebuild_rest(
        _SUBCLASS_BY_CODE.get(code, _RestError),
        message,
        code.name,
        {"error_code": code_name, "message": message},
    )
