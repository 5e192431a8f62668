"""MLflow's opaque page tokens: base64 of ``{"offset": N}``, N the first row of the page.

    decode_page_token(encode_page_token(100))  # 100

Every SQL search pages by offset; a forged token is a 400 naming what was wrong, never a
query with an offset the database cannot hold.
"""

from __future__ import annotations

import base64
import binascii
import json

from runwell.errors import InvalidArgument


def encode_page_token(offset: int) -> str:
    """The token for the page starting at ``offset``: base64 of ``{"offset": N}``, as MLflow."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidArgument(f"Page offset must be a non-negative integer, got {offset!r}")
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode("ascii")


# The deepest page a token may ask for (the largest integer JSON carries exactly). Past it a
# token is forged: OFFSET 2**63 overflows SQLite's and PostgreSQL's integers (it was a 500).
MAX_PAGE_OFFSET = 2**53


def decode_page_token(token: str | None) -> int:
    """The offset a page token stands for; None or "" is the first page (0).

    Unlike the stock server, a token for offset 0 is accepted: it is what the first page means.

    Raises:
        InvalidArgument: The token is not base64, not JSON, or has no non-negative int offset.
    """
    if not token:
        return 0
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgument(
            f"Invalid page token, could not base64-decode {token!r}; pass the next_page_token "
            "of a previous response unchanged"
        ) from exc
    try:
        data: object = json.loads(raw)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid page token {token!r}: its content is not JSON") from exc
    offset = data.get("offset") if isinstance(data, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidArgument(
            f"Invalid page token {token!r}: expected a JSON object with a non-negative integer "
            f"'offset', got {data!r}"
        )
    if offset > MAX_PAGE_OFFSET:
        raise InvalidArgument(
            f"Invalid page token {token[:100]!r}: its offset is past the deepest page "
            f"({MAX_PAGE_OFFSET}); pass the next_page_token of a previous response unchanged"
        )
    return offset
