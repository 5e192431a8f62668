"""Origins (scheme, host, port) of http(s) URLs: where the tracking credentials may go.

Standard library only: ``runwell.models.uri`` compares origins, and it is imported wherever a
runwell model is loaded, MLflow's own environment included.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, ports made explicit; None for other URLs."""
    try:
        parsed = urlsplit(url)
        port = parsed.port
    except (ValueError, TypeError):
        return None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parsed.hostname:
        return None
    return scheme, parsed.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def same_origin(url: str, other: str | None) -> bool:
    """Whether ``url`` is on the server of ``other`` (scheme, host and port all equal)."""
    mine = origin(url)
    return mine is not None and other is not None and mine == origin(other)
