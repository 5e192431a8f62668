"""Who wrote a run: on a server with ``--auth`` a new run's author is the signed-in user.

MLflow's client sends ``runs/create`` a ``user_id`` (the OS login) and an ``mlflow.user``
tag. For anyone but an admin, the auth layer rewrites that request body before the handler
reads it: ``user_id`` (or its alias ``userId``) becomes the signed-in username, and so does
the value of an ``mlflow.user`` tag sent with it. Refusing instead would break every MLflow
client, whose OS login rarely is the server's username. An admin's request is left as sent
(importing runs for others). After creation only an admin may set ``mlflow.user``
(``admin_tags`` in rules.py).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Scope

from runwell.server.request import decode_body

USER_TAG = "mlflow.user"
_USER_FIELDS = ("user_id", "userId")


def authored_body(body: bytes, username: str) -> bytes:
    """The ``runs/create`` body with ``username`` as the run's author."""
    values: dict[str, Any] = {k: v for k, v in decode_body(body).items() if k not in _USER_FIELDS}
    values["user_id"] = username
    tags = values.get("tags")
    if isinstance(tags, list):
        values["tags"] = [
            {**tag, "value": username}
            if isinstance(tag, dict) and tag.get("key") == USER_TAG
            else tag
            for tag in tags
        ]
    # The standard encoder, not orjson: it writes what decode_body reads back (NaN, ints
    # past 64 bits), so the handler parses the same values, only the author changed.
    return json.dumps(values).encode("utf-8")


def with_content_length(scope: Scope, length: int) -> Scope:
    """A copy of ``scope`` whose ``Content-Length`` says ``length``."""
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    headers.append((b"content-length", str(length).encode("ascii")))
    return {**scope, "headers": headers}
