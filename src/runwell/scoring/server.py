"""Run the scoring app under uvicorn: ``serve`` for a loaded model, ``serve_uri`` for a URI.

One worker serves an in-memory model directly. Several workers are separate processes, so each
must load the model itself: ``serve_uri`` passes the URI and options to them through
environment variables and names ``app_from_environment`` as uvicorn's app factory.
"""

from __future__ import annotations

import gc
import json
import os
from typing import Any

from runwell.errors import InvalidArgument
from runwell.scoring.app import (
    DEFAULT_BATCH_MAX_LATENCY_MS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_TIMEOUT_S,
    ScoringApp,
    build_app,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
# Set by serve_uri for its worker processes; not a user setting.
_MODEL_URI_ENV = "RUNWELL_SCORING_MODEL_URI"
_OPTIONS_ENV = "RUNWELL_SCORING_OPTIONS"


def _run(app: Any, host: str, port: int, workers: int, factory: bool, log_level: str) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        factory=factory,
        log_level=log_level,
        access_log=False,  # a log line per request costs more than the request itself
        proxy_headers=False,  # no X-Forwarded-* rewriting: the app never reads the client address
        server_header=False,
        http="auto",  # httptools and uvloop when installed (uvicorn[standard] installs them)
        loop="auto",
        ws="none",
        lifespan="on",
    )


def serve(
    model: Any,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    *,
    log_level: str = "info",
    **options: Any,
) -> None:
    """Serve an already-loaded ``model`` until interrupted (one process).

    ``options`` are ``build_app``'s keyword arguments. For several worker processes use
    ``serve_uri``, which lets each worker load the model.
    """
    if workers != 1:
        raise InvalidArgument(
            f"serve() runs one process and got workers={workers}: an in-memory model cannot be "
            "shared across processes; use serve_uri(model_uri, workers=N) instead."
        )
    _run(build_app(model, **options), host, port, 1, False, log_level)


def serve_uri(
    model_uri: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 1,
    *,
    log_level: str = "info",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    batch_max_size: int | None = None,
    batch_max_latency_ms: float = DEFAULT_BATCH_MAX_LATENCY_MS,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    allow_pickle: bool | None = None,
) -> None:
    """Load ``model_uri`` with ``runwell.pyfunc.load_model``; serve it in ``workers`` processes.

    ``allow_pickle`` is load_model's: a pickled model from a server or a registry is served
    only with True (``runwell models serve --allow-pickle``) or RUNWELL_ALLOW_PICKLE=1.
    """
    if workers < 1:
        raise InvalidArgument(f"workers must be >= 1, got {workers}")
    options: dict[str, Any] = {
        "max_body_bytes": max_body_bytes,
        "batch_max_size": batch_max_size,
        "batch_max_latency_ms": batch_max_latency_ms,
        "timeout_s": timeout_s,
    }
    if workers == 1:
        _run(build_app(_load(model_uri, allow_pickle), **options), host, port, 1, False, log_level)
        return
    gc.enable()  # this process only supervises; each worker loads the model (_load)
    os.environ[_MODEL_URI_ENV] = model_uri
    os.environ[_OPTIONS_ENV] = json.dumps({**options, "allow_pickle": allow_pickle})
    _run("runwell.scoring.server:app_from_environment", host, port, workers, True, log_level)


def app_from_environment() -> ScoringApp:
    """uvicorn factory for worker processes started by ``serve_uri``."""
    uri = os.environ.get(_MODEL_URI_ENV)
    if not uri:
        raise InvalidArgument(f"{_MODEL_URI_ENV} is not set; start the server with serve_uri()")
    options = json.loads(os.environ.get(_OPTIONS_ENV) or "{}")
    allow_pickle = options.pop("allow_pickle", None)
    return build_app(_load(uri, allow_pickle), **options)


def _load(model_uri: str, allow_pickle: bool | None = None) -> Any:
    """Load the model to serve, then move everything loaded so far out of the collector's way.

    Loading is imports and unpickling: it allocates a great deal and frees almost nothing, so
    the cyclic collector is off meanwhile (about a tenth of a scikit-learn model's start-up).
    Afterwards the heap (modules, model) is frozen: later full collections skip it instead of
    walking hundreds of thousands of objects in the middle of a request, which is what
    stretches the slowest latencies.
    """
    gc.disable()
    try:
        # runwell.pyfunc pulls in pandas/numpy and the flavor's library: only when serving.
        from runwell import pyfunc

        model = pyfunc.load_model(model_uri, allow_pickle=allow_pickle)
        # This process only serves: the flavor may take its serving fast path (PyFuncModel).
        prepare = getattr(model, "prepare_for_serving", None)
        if callable(prepare):
            prepare()
        gc.freeze()
    finally:
        gc.enable()
    return model
