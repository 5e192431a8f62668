"""Pages of a metric history: tokens that resume after a point, and the rows as points.

A token holds the last row's stored (timestamp, step, value, kind), the order of the history's
primary key, so the next page starts with an index seek instead of an OFFSET that rescans every
earlier row (a million-point history read 25,000 points at a time went quadratic). Stored values
are always finite (see codec), so the token is plain JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from runwell.errors import InvalidArgument
from runwell.store.sql import codec

_BAD_TOKEN = "Invalid page token {token!r}: pass the next_page_token of a previous response."


def encode_token(key: Sequence[Any]) -> str:
    timestamp, step, value, kind = key
    payload = {"after": [int(timestamp), int(step), float(value), int(kind)]}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode("ascii")


def decode_token(token: str | None) -> tuple[int, int, float, int] | None:
    """The row a page starts after; None for the first page."""
    if not token:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        timestamp, step, value, kind = payload["after"]
        if not all(type(v) is int for v in (timestamp, step, kind)):
            raise ValueError("not integers")
        if type(value) not in (int, float):
            raise ValueError("not a number")
        return timestamp, step, float(value), kind
    except (binascii.Error, UnicodeError, ValueError, TypeError, KeyError) as exc:
        raise InvalidArgument(_BAD_TOKEN.format(token=token)) from exc


def points(rows: list[Any], dialect: str) -> list[Any]:
    """``(value, timestamp, step)`` rows from a history query's rows (MySQL rows carry the
    stored (value, kind), decoded here)."""
    if dialect == "mysql":
        decode = codec.decode
        return [(None if r[1] == codec.NAN else decode(r[0], r[1]), r[2], r[3]) for r in rows]
    return rows
