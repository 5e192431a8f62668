"""How much one request may ask of the server; past a limit the answer is a clear 4xx.

=========================  ===========  ==============================  ===================
limit                      default      option (RUNWELL_* variable)     past it
=========================  ===========  ==============================  ===================
JSON request body          64 MiB       --max-request-body-mb           400
entities in a log-batch    1000         --max-batch-entities            400
``max_results``            per search   --max-results                   400
one artifact upload        10 GiB       --max-upload-mb                 400, nothing stored
uploads at once, a worker  32           --max-concurrent-uploads        429
=========================  ===========  ==============================  ===================

Each option's variable is its name in capitals (RUNWELL_MAX_UPLOAD_MB, ...; runwell.env).
429 is what MLflow's client retries with back-off, so an upload refused for being one too many
is sent again a moment later; the others are the client's mistake and are not retried. The
stores keep their own, stricter checks (MLflow's batch limits per kind, each search's
``max_results`` ceiling); these bound the server whatever the store.

``Limits.check`` runs on every RPC; with the defaults it returns after one comparison.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from runwell.errors import ErrorCode, InvalidArgument, RunwellError
from runwell.store.validation import MAX_ENTITIES_PER_BATCH
from runwell.wire import paths
from runwell.wire.fields import Fields

MIB = 1024 * 1024
DEFAULT_MAX_REQUEST_BODY_MB = 64
DEFAULT_MAX_UPLOAD_MB = 10 * 1024
DEFAULT_MAX_CONCURRENT_UPLOADS = 32


@dataclass(frozen=True)
class Limits:
    """The bounds of one app (see the module docstring); sizes in bytes."""

    max_request_body: int = DEFAULT_MAX_REQUEST_BODY_MB * MIB
    max_batch_entities: int = MAX_ENTITIES_PER_BATCH
    max_results: int | None = None
    max_upload: int = DEFAULT_MAX_UPLOAD_MB * MIB
    max_concurrent_uploads: int = DEFAULT_MAX_CONCURRENT_UPLOADS
    _uploads: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("max_request_body", "max_batch_entities", "max_upload"):
            if getattr(self, name) < 1:
                raise InvalidArgument(f"Invalid limit {name}={getattr(self, name)}: must be >= 1.")
        if self.max_concurrent_uploads < 1:
            raise InvalidArgument("Invalid limit max_concurrent_uploads: must be >= 1.")
        if self.max_results is not None and self.max_results < 1:
            raise InvalidArgument("Invalid limit max_results: must be >= 1.")

    @property
    def checks_fields(self) -> bool:
        """Whether ``check`` has anything to do (not with the defaults)."""
        return self.max_results is not None or self.max_batch_entities < MAX_ENTITIES_PER_BATCH

    def check(self, path: str, fields: Fields) -> None:
        """Refuse an RPC whose ``max_results`` or batch size is past the limits."""
        if self.max_results is not None:
            wanted = fields.int64("max_results")
            if wanted is not None and wanted > self.max_results:
                raise InvalidArgument(
                    f"Invalid value {wanted} for parameter 'max_results': this server answers "
                    f"at most {self.max_results} per request; page with page_token."
                )
        if path.endswith(paths.RUNS_LOG_BATCH):
            count = sum(_count(fields.raw(name)) for name in ("metrics", "params", "tags"))
            if count > self.max_batch_entities:
                raise InvalidArgument(
                    f"A batch logging request can contain at most {self.max_batch_entities} "
                    f"metrics, params and tags together on this server; got {count}."
                )

    def too_large(self, what: str, limit: int) -> InvalidArgument:
        return InvalidArgument(f"{what} is larger than this server's limit of {_size(limit)}.")

    @contextmanager
    def upload_slot(self) -> Iterator[None]:
        """Hold one of the concurrent-upload slots; 429 when none is free."""
        with self._lock:
            if self._uploads[0] >= self.max_concurrent_uploads:
                raise RunwellError(
                    f"This server takes at most {self.max_concurrent_uploads} uploads at once; "
                    "retry shortly.",
                    ErrorCode.REQUEST_LIMIT_EXCEEDED,
                )
            self._uploads[0] += 1
        try:
            yield
        finally:
            with self._lock:
                self._uploads[0] -= 1


def _count(value: object) -> int:
    return len(value) if isinstance(value, list) else 0


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB and limit % MIB == 0 else f"{limit} bytes"


def from_megabytes(
    max_request_body_mb: int = DEFAULT_MAX_REQUEST_BODY_MB,
    max_batch_entities: int = MAX_ENTITIES_PER_BATCH,
    max_results: int = 0,
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB,
    max_concurrent_uploads: int = DEFAULT_MAX_CONCURRENT_UPLOADS,
) -> Limits:
    """Limits from the server's options (sizes in MiB, ``max_results`` 0 for the stores')."""
    return Limits(
        max_request_body=max_request_body_mb * MIB,
        max_batch_entities=max_batch_entities,
        max_results=max_results or None,
        max_upload=max_upload_mb * MIB,
        max_concurrent_uploads=max_concurrent_uploads,
    )
