"""A real uvicorn server on a loopback port, for tests that speak HTTP to an ASGI app.

    with serve(create_app(store)) as url:
        httpx.get(url + "/health")

The socket is bound to ``127.0.0.1:0`` here and handed to ``uvicorn.Server.run(sockets=...)``
in a thread, so the port is ours before the server starts (no free-port race); the context
waits for ``started``, and on exit sets ``should_exit`` and joins the thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT_S = 15.0


@contextmanager
def serve(app: ASGIApp, *, log_level: str = "warning") -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a background thread; yields ``http://127.0.0.1:<port>``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the test server stopped before it started")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start in {_START_TIMEOUT_S} s")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
