"""How deep a decoded JSON request may nest: MAX_JSON_DEPTH levels, for both servers.

No MLflow request nests past 6 levels (a 64-dimension tensor is the deepest scoring input).
Past the limit both servers answer 400: a value nested 1,000 deep made ``repr`` in error
messages, the standard decoder and orjson's encoder recurse until they gave up, which was a
500. The check costs nothing for a body with fewer brackets than the limit (most requests);
otherwise it walks the decoded value level by level, without recursion.
"""

from __future__ import annotations

from typing import Any

MAX_JSON_DEPTH = 64
_CONTAINERS = (dict, list)


def nested_too_deep(body: bytes, value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` (decoded from ``body``) has containers more than ``limit`` deep."""
    if body.count(b"{") + body.count(b"[") <= limit:
        return False  # fewer brackets than levels: it cannot nest deeper
    level = [value]
    for _ in range(limit):
        deeper: list[Any] = []
        for node in level:
            children = node.values() if type(node) is dict else node
            deeper.extend([child for child in children if type(child) in _CONTAINERS])
        if not deeper:
            return False
        level = deeper
    return True
