"""How a tracking RPC becomes a route: read the fields, run the handler in a thread, encode.

A handler is a plain function ``(context, fields) -> dict`` that returns the wire payload
(shaped by ``runwell.wire.codec``). ``rpc`` registers it on a router; ``create_app`` mounts
each router under ``/api/2.0`` and ``/ajax-api/2.0``. The request body is read on the event
loop, then the handler *and* the JSON encoding run in Starlette's threadpool, so neither the
synchronous store nor encoding a million metric points blocks the loop.

A search (``rpc(..., search=True)``) also listens for its client: when the connection closes
before the answer is ready, its statements are stopped in the database
(``store/cancellation.py``) instead of running on to the search timeout.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runwell.server.context import ServerContext, context_of
from runwell.server.dispatch import RPC_MARK
from runwell.server.request import request_fields
from runwell.server.responses import encode, json_response
from runwell.store.cancellation import Cancellation
from runwell.store.gc_pause import paused_gc
from runwell.wire.fields import Fields

Json = dict[str, Any]
T = TypeVar("T")
Handler = Callable[[ServerContext, Fields], Json]


def _run(handler: Handler, context: ServerContext, fields: Fields) -> bytes:
    return encode(handler(context, fields))


def _run_bulk(handler: Handler, context: ServerContext, fields: Fields) -> bytes:
    # The collector stays off until the payload's objects are freed again: re-enabled while
    # they were alive, its first pass would walk every one of them (a tenth of a
    # million-point history request).
    with paused_gc():
        return encode(handler(context, fields))


async def _cancel_when_gone(request: Request, cancellation: Cancellation) -> None:
    # The body has been read, so the connection's next message is its end.
    while (await request.receive())["type"] != "http.disconnect":
        pass
    await run_in_threadpool(cancellation.cancel)  # a cancel request is a network round trip


async def run_while_connected(request: Request, work: Callable[[], T]) -> T:
    """``work()`` in the threadpool, with its searches stopped if the client leaves first."""
    cancellation = Cancellation()

    def under_cancellation() -> T:
        with cancellation.running_under():
            return work()

    # The work's own error leaves the task group as itself, not inside an ExceptionGroup.
    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(_cancel_when_gone, request, cancellation)
        try:
            body = await run_in_threadpool(under_cancellation)
        except Exception as exc:
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return body


def stops_when_client_leaves(
    handler: Callable[..., Response],
) -> Callable[..., Awaitable[Response]]:
    """A synchronous page handler that searches, as an endpoint whose searches stop when the
    browser goes away (a search typed into a page box is as open to abuse as the API's)."""

    @functools.wraps(handler)
    async def endpoint(*args: Any, **kwargs: Any) -> Response:
        request = kwargs.get("request", args[0] if args else None)
        assert isinstance(request, Request)
        return await run_while_connected(request, lambda: handler(*args, **kwargs))

    return endpoint


def _summary(handler: Handler) -> str:
    doc = (handler.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else handler.__name__.replace("_", " ")


def rpc(
    router: APIRouter,
    path: str,
    methods: Sequence[str] = ("POST",),
    *,
    tracking: bool = True,
    bulk: bool = False,
    search: bool = False,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` at ``path`` for each method (one route per method, so the
    OpenAPI operation ids stay unique). ``tracking=False`` for routes that work in
    ``--artifacts-only`` mode; ``bulk=True`` for routes whose answers can hold a million
    objects (the collector is paused while they are built and encoded); ``search=True`` for
    searches, stopped in the database when their client leaves."""

    run = _run_bulk if bulk else _run

    def register(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            context = context_of(request)
            if tracking:
                context.tracking()  # 503 before reading the body in --artifacts-only mode
            fields = await request_fields(request, context.limits.max_request_body)
            if context.limits.checks_fields:  # not with the default limits
                context.limits.check(path, fields)
            if search:
                body = await run_while_connected(request, lambda: run(handler, context, fields))
            else:
                body = await run_in_threadpool(run, handler, context, fields)
            return json_response(body)

        setattr(endpoint, RPC_MARK, True)  # dispatch.RpcDispatch may call it directly

        for method in methods:
            router.add_api_route(
                path,
                endpoint,
                methods=[method],
                name=f"{handler.__name__}_{method.lower()}",
                summary=_summary(handler),
                description=handler.__doc__ or "",
                response_class=Response,
            )
        return handler

    return register


def run_id_of(fields: Fields) -> str:
    """``run_id``, falling back to the legacy ``run_uuid`` the client also sends."""
    run_id = fields.text("run_id") or fields.text("run_uuid")
    if not run_id:
        raise Fields.missing("run_id")
    return run_id
