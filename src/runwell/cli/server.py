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

from runwell import env
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
@click.option(
    "--auth",
    is_flag=True,
    help="Require sign-in (users, tokens, per-experiment and per-model permissions); the "
    "first admin comes from `runwell auth create-admin` or RUNWELL_AUTH_ADMIN_USERNAME/PASSWORD.",
)
@click.option(
    "--auth-default-permission",
    type=click.Choice(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"], case_sensitive=False),
    default="READ",
    show_default=True,
    help="With --auth: what users without a grant may do with a new experiment or model.",
)
@click.option(
    "--max-request-body-mb",
    type=click.IntRange(1),
    default=64,
    show_default=True,
    envvar=env.MAX_REQUEST_BODY_MB,
    help="Largest JSON request body.",
)
@click.option(
    "--max-batch-entities",
    type=click.IntRange(1, 1000),
    default=1000,
    show_default=True,
    envvar=env.MAX_BATCH_ENTITIES,
    help="Metrics, params and tags in one log-batch.",
)
@click.option(
    "--max-results",
    type=click.IntRange(0),
    default=0,
    envvar=env.MAX_RESULTS,
    help="Largest max_results of any request [default: 0, each search's own limit].",
)
@click.option(
    "--max-upload-mb",
    type=click.IntRange(1),
    default=10240,
    show_default=True,
    envvar=env.MAX_UPLOAD_MB,
    help="Largest artifact upload.",
)
@click.option(
    "--max-concurrent-uploads",
    type=click.IntRange(1),
    default=32,
    show_default=True,
    envvar=env.MAX_CONCURRENT_UPLOADS,
    help="Uploads at once per worker (429 past it).",
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
    auth: bool,
    auth_default_permission: str,
    max_request_body_mb: int,
    max_batch_entities: int,
    max_results: int,
    max_upload_mb: int,
    max_concurrent_uploads: int,
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
        auth=auth,
        auth_default_permission=auth_default_permission.upper(),
        max_request_body_mb=max_request_body_mb,
        max_batch_entities=max_batch_entities,
        max_results=max_results,
        max_upload_mb=max_upload_mb,
        max_concurrent_uploads=max_concurrent_uploads,
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
        # The app's lifespan leaves SQLite files self-contained at a clean stop (app.py).
        "lifespan": "on",
        "server_header": False,
    }
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"runwell server at http://{shown}:{port}{config.static_prefix}", err=True)
    if workers == 1:
        tune_server_process()
        uvicorn.run(app, **options)
    else:
        uvicorn.run("runwell.server.app:app_from_env", factory=True, workers=workers, **options)
