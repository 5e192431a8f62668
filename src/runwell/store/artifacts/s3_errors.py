"""S3ErrorMap: botocore and s3transfer exceptions become runwell errors at the S3 boundary.

Each error names what was being done, the bucket or endpoint, and the next step::

    NoSuchBucket                        -> NotFound ("create it or fix the artifact root")
    NoSuchKey, 404                      -> NotFound ("No artifact at '<path>' under <root>")
    AccessDenied, bad keys, 401, 403    -> RunwellError PERMISSION_DENIED ("check credentials")
    no credentials at all               -> RunwellError UNAUTHENTICATED
    connection failures, 5xx, SlowDown  -> Unavailable (the same call may succeed later)
    other 400s                          -> InvalidArgument; anything else -> IO_ERROR
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from botocore import exceptions as boto_errors  # type: ignore[import-untyped]
from s3transfer.exceptions import RetriesExceededError  # type: ignore[import-untyped]

from runwell.errors import ErrorCode, InvalidArgument, NotFound, RunwellError, Unavailable

_DENIED = frozenset(
    {
        "AccessDenied",
        "AccountProblem",
        "AllAccessDisabled",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "SignatureDoesNotMatch",
    }
)
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_BUSY = frozenset({"SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError"})


class S3ErrorMap:
    """Turns botocore and s3transfer exceptions into runwell errors that name the next step."""

    def __init__(self, bucket: str, root_uri: str, endpoint: str | None) -> None:
        self.bucket = bucket
        self.root_uri = root_uri
        self.where = endpoint or "AWS S3"

    @contextlib.contextmanager
    def mapped(self, action: str, path: str | None) -> Iterator[None]:
        """Translate what the block raises; ``path`` names the artifact in NotFound messages."""
        try:
            yield
        except boto_errors.ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code, message = str(error.get("Code", status)), str(error.get("Message") or "")
            raise self._for_code(code, int(status or 0), message, action, path) from exc
        except (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError) as exc:
            raise RunwellError(
                f"No usable S3 credentials while {action}: set AWS_ACCESS_KEY_ID and "
                f"AWS_SECRET_ACCESS_KEY, or AWS_PROFILE ({exc}).",
                ErrorCode.UNAUTHENTICATED,
            ) from exc
        except (boto_errors.ConnectionError, boto_errors.HTTPClientError) as exc:
            raise Unavailable(f"Cannot reach S3 at {self.where} while {action}: {exc}") from exc
        except RetriesExceededError as exc:
            raise Unavailable(f"S3 at {self.where} kept failing while {action}: {exc}") from exc

    def _for_code(
        self, code: str, status: int, message: str, action: str, path: str | None
    ) -> RunwellError:
        detail = f"{code}: {message}" if message else code
        if code == "NoSuchBucket":
            return NotFound(
                f"S3 bucket '{self.bucket}' does not exist at {self.where} (artifact root "
                f"{self.root_uri}): create it or fix the artifact root."
            )
        if code in _MISSING:
            what = f"'{path}'" if path is not None else "an object"
            return NotFound(f"No artifact at {what} under {self.root_uri}.")
        if code in _DENIED or status in (401, 403):
            return RunwellError(
                f"Access denied by S3 at {self.where} while {action} in bucket '{self.bucket}' "
                f"({detail}): check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                "or AWS_PROFILE) and the bucket policy.",
                ErrorCode.PERMISSION_DENIED,
            )
        if code in _BUSY or status >= 500:
            return Unavailable(f"S3 at {self.where} failed while {action} ({detail}): retry later.")
        if status == 400:
            return InvalidArgument(f"S3 rejected the request while {action} ({detail}).")
        return RunwellError(f"S3 error while {action} ({detail}).", ErrorCode.IO_ERROR)

    def raise_delete_errors(self, errors: Iterable[Mapping[str, Any]]) -> None:
        """DeleteObjects answers 200 with per-key errors; surface the first one."""
        failed = list(errors)
        if not failed:
            return
        first = failed[0]
        error = self._for_code(
            str(first.get("Code", "")),
            0,
            f"{len(failed)} keys not deleted, first '{first.get('Key')}': {first.get('Message')}",
            "deleting artifacts",
            None,
        )
        raise error
