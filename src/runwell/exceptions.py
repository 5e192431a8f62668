"""MLflow's exception names, for scripts written against ``mlflow.exceptions``.

    from runwell.exceptions import MlflowException, RestException
    try:
        client.get_run("no-such-run")
    except MlflowException as exc:
        print(exc.error_code, exc.get_http_status_code())

``MlflowException`` is ``RunwellError`` itself, so it catches every error runwell raises and
``isinstance`` works both ways; ``RestException`` is the type of the errors a tracking
server answered with.
"""

from runwell.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidArgument,
    InvalidState,
    NotFound,
    RestException,
    RunwellError,
    Unavailable,
)

MlflowException = RunwellError

__all__ = [
    "AlreadyExists",
    "ErrorCode",
    "InvalidArgument",
    "InvalidState",
    "MlflowException",
    "NotFound",
    "RestException",
    "RunwellError",
    "Unavailable",
]
