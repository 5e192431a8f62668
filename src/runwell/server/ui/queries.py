"""Reading the UI's query parameters, and the stores behind a UI request.

UI endpoints take GET query strings (``?run_ids=a&run_ids=b`` or ``?run_ids=a,b``) so their
URLs can be shared and cached like pages.
"""

from __future__ import annotations

from starlette.requests import Request

from runwell.entities import ViewType
from runwell.errors import InvalidArgument, Unavailable
from runwell.server.context import context_of
from runwell.store.overview import TrackingOverview
from runwell.store.protocols import TrackingStore

VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}


def tracking(request: Request) -> TrackingStore:
    return context_of(request).tracking()


def overview(request: Request) -> TrackingOverview:
    """The tracking store's aggregate reads (store/overview.py), 503 without them."""
    store = tracking(request)
    if not isinstance(store, TrackingOverview):
        raise Unavailable("This server's tracking store offers no summaries for the web UI.")
    return store


def many(request: Request, name: str) -> list[str]:
    """A repeated or comma-separated parameter, blanks dropped, order kept, no duplicates."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    return list(dict.fromkeys(v for v in values if v))


def text(request: Request, name: str, default: str = "") -> str:
    return request.query_params.get(name, default).strip()


def required(request: Request, name: str) -> str:
    value = text(request, name)
    if not value:
        raise InvalidArgument(f"Missing value for required parameter '{name}'.")
    return value


def integer(
    request: Request,
    name: str,
    default: int | None,
    low: int | None = None,
    high: int | None = None,
) -> int | None:
    raw = text(request, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgument(f"Invalid value '{raw}' for '{name}': expected an integer.") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidArgument(f"Invalid value {value} for '{name}': expected {low} to {high}.")
    return value


def view(request: Request) -> ViewType:
    raw = text(request, "view", "active").lower()
    if raw not in VIEWS:
        raise InvalidArgument(f"Invalid view '{raw}': expected one of {sorted(VIEWS)}.")
    return VIEWS[raw]
