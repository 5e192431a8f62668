"""The server's options, and their round trip through RUNWELL_SERVER_* environment variables.

``runwell server --workers N`` starts N processes that each import
``runwell.server.app:app_from_env``; the CLI puts its options in the environment for them.
This module imports nothing heavy, so the CLI can use it before deciding to load FastAPI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

PREFIX = "RUNWELL_SERVER_"
PROXY_ROOT = "mlflow-artifacts:"
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_CORS_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*")


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``build_app`` needs to make stores and an app."""

    backend_store_uri: str = "sqlite:///runwell.db"
    default_artifact_root: str | None = None
    serve_artifacts: bool = True
    artifacts_destination: str = "./runwell-artifacts"
    artifacts_only: bool = False
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    cors_allowed_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    static_prefix: str = ""
    registry_store_uri: str | None = None
    auth: bool = False
    auth_default_permission: str = "READ"
    max_request_body_mb: int = 64
    max_batch_entities: int = 1000
    max_results: int = 0
    max_upload_mb: int = 10240
    max_concurrent_uploads: int = 32

    @property
    def artifact_root(self) -> str | None:
        """Where new experiments put artifacts: the proxy when serving, else the store's
        default (``runwell-artifacts/`` beside an SQLite file)."""
        if self.default_artifact_root:
            return self.default_artifact_root
        return PROXY_ROOT if self.serve_artifacts else None

    def to_env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            name = PREFIX + field.name.upper()
            if isinstance(value, bool):
                env[name] = "true" if value else "false"
            elif isinstance(value, tuple):
                env[name] = ",".join(value)
            else:
                env[name] = str(value)
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerConfig:
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = environ.get(PREFIX + field.name.upper())
            if raw is None:
                continue
            default = field.default
            if isinstance(default, bool):
                values[field.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(default, tuple):
                values[field.name] = split_list(raw)
            elif isinstance(default, int):
                values[field.name] = int(raw)
            else:
                values[field.name] = raw
        return cls(**values)  # type: ignore[arg-type]


def split_list(raw: str) -> tuple[str, ...]:
    """A comma-separated option as a tuple, blanks dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())
