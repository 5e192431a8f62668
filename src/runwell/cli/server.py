"""``runwell server`` (alias ``runwell ui``): the MLflow-compatible tracking server.

    runwell server            # 127.0.0.1:5000, ./runwell.db, ./runwell-artifacts
    runwell server --backend-store-uri postgresql://... --workers 4 --host 0.0.0.0 \\
        --allowed-hosts tracking.corp.example

Point MLflow's client (or runwell's) at it with ``MLFLOW_TRACKING_URI=http://127.0.0.1:5000``.
With the default ``--serve-artifacts`` experiments get ``mlflow-artifacts:/<id>`` locations and
clients upload and download through the server, which stores files under
``--artifacts-destination``.

FastAPI, uvicorn and the stores are imported only when the command runs, so ``runwell --help``
stays quick. With ``--workers N > 1`` the options travel to each worker in RUNWELL_SERVER_*
variables and uvicorn builds the app there with ``runwell.server.app:app_from_env``.
"""

from __future__ import annotations

import os
from typing import Any

import click

from runwell.server.config import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_CORS_ORIGINS,
    ServerConfig,
    split_list,
)
from runwell.store import uri as uris

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# Addresses that mean "every interface": the Host header then names whatever the client used.
_WILDCARD_BINDS = ("0.0.0.0", "::", "")


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus runwell's loggers (the access log among them) on stderr."""
    upper = level.upper()
    handler = {"handlers": ["stderr"], "level": upper, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {"uvicorn": handler, "runwell": handler},
    }


def _allowed_hosts(raw: str | None, host: str) -> tuple[str, ...]:
    if raw is not None:
        return split_list(raw)
    hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    # Bound to one named address: that address is how clients will reach the server.
    if host not in _WILDCARD_BINDS and host not in hosts:
        hosts = (*hosts, f"[{host}]" if ":" in host else host)
    return hosts


def _absolute(location: str) -> str:
    """A plain local path made absolute (workers and logs agree on it); URIs unchanged."""
    if "://" in location or location.endswith(":"):
        return location
    return os.path.abspath(location)


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--backend-store-uri",
    metavar="URI",
    default=None,
    help="Tracking store: sqlite:///path, postgresql://..., mysql+pymysql://... "
    "[default: sqlite:///<cwd>/runwell.db]",
)
@click.option(
    "--default-artifact-root",
    metavar="URI",
    default=None,
    help="Artifact root of new experiments [default: mlflow-artifacts: when serving "
    "artifacts, else runwell-artifacts/ beside the database].",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=True,
    show_default=True,
    help="Proxy artifact uploads and downloads (off: the artifact routes answer 503).",
)
@click.option(
    "--artifacts-destination",
    metavar="URI",
    default="./runwell-artifacts",
    show_default=True,
    help="Where proxied artifacts are stored.",
)
@click.option(
    "--artifacts-only", is_flag=True, help="Serve only artifacts (tracking routes answer 503)."
)
@click.option(
    "--allowed-hosts",
    metavar="LIST",
    default=None,
    help="Comma-separated Host header patterns (host, host:port, *.domain, *) "
    f"[default: {','.join(DEFAULT_ALLOWED_HOSTS)} and --host, any port].",
)
@click.option(
    "--cors-allowed-origins",
    metavar="LIST",
    default=",".join(DEFAULT_CORS_ORIGINS),
    show_default=True,
    help="Comma-separated origins allowed to call the API from a browser (* for any).",
)
@click.option("--static-prefix", default="", help="Serve every route under this path.")
@click.option(
    "--registry-store-uri", metavar="URI", default=None, help="Model registry store (reserved)."
)
@click.option("--log-level", type=click.Choice(_LOG_LEVELS), default="info", show_default=True)
def command(
    host: str,
    port: int,
    workers: int,
    backend_store_uri: str | None,
    default_artifact_root: str | None,
    serve_artifacts: bool,
    artifacts_destination: str,
    artifacts_only: bool,
    allowed_hosts: str | None,
    cors_allowed_origins: str,
    static_prefix: str,
    registry_store_uri: str | None,
    log_level: str,
) -> None:
    """Run the tracking server (MLflow's REST API and artifact proxy)."""
    if artifacts_only and not serve_artifacts:
        raise click.UsageError("--artifacts-only needs --serve-artifacts.")
    config = ServerConfig(
        backend_store_uri=backend_store_uri or uris.default_tracking_uri(),
        default_artifact_root=default_artifact_root,
        serve_artifacts=serve_artifacts,
        artifacts_destination=_absolute(artifacts_destination),
        artifacts_only=artifacts_only,
        allowed_hosts=_allowed_hosts(allowed_hosts, host),
        cors_allowed_origins=split_list(cors_allowed_origins),
        static_prefix=static_prefix,
        registry_store_uri=registry_store_uri,
    )
    os.environ.update(config.to_env())
    import uvicorn

    from runwell.server.app import build_app, tune_server_process

    # Built here even with several workers: a stale schema or a bad URI fails once, clearly,
    # before any worker starts (and an empty database gets its schema once).
    app = build_app(config)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": log_config(log_level),
        "log_level": log_level,
        "access_log": False,
        "ws": "none",
        "lifespan": "off",
        "server_header": False,
    }
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"runwell server at http://{shown}:{port}{config.static_prefix}", err=True)
    if workers == 1:
        tune_server_process()
        uvicorn.run(app, **options)
    else:
        uvicorn.run("runwell.server.app:app_from_env", factory=True, workers=workers, **options)
