"""``runwell models``: serve, batch-predict, describe and package models.

    runwell models serve -m runs:/<run_id>/model -p 5001
    runwell models serve -m ./model --env-manager virtualenv     # in the model's own env
    runwell models predict -m ./model -i big.parquet -o scores.parquet
    runwell models describe -m models:/m-<id> --json
    runwell models prepare-env -m ./model                        # prints the env's path
    runwell models generate-dockerfile -m ./model -d ./image && docker build ./image

``--env-manager local`` (the default) runs in this interpreter. ``virtualenv`` (or ``uv``)
prepares the model's environment (runwell.models.prepare_env) and re-runs the same command
inside it with ``--env-manager local``; ``conda`` does the same with a conda environment. The
re-run replaces this process (exec), so stopping this PID stops the server.

``serve`` and ``predict`` unpickle a model's files only for your own models (a path, or a
store on this machine) unless ``--allow-pickle`` (or RUNWELL_ALLOW_PICKLE=1) says so; the
decision is made here, from the URI, and passed to the re-run, whose copy is local
(runwell.models.trust).

Only click is imported here: pandas, the scoring server and the model's library load when a
command runs, which keeps ``runwell models serve`` quick to answer its first ``/ping``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from runwell.cli import _render
from runwell.cli._context import CliState, pass_state

ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
_FORMATS = ("csv", "json", "jsonl", "parquet")
# -h is --host here (as in `mlflow models serve`), so help is --help only.
_NO_SHORT_HELP: dict[str, Any] = {"help_option_names": ["--help"]}
F = TypeVar("F", bound=Callable[..., Any])

model_uri_option = click.option(
    "-m",
    "--model-uri",
    required=True,
    metavar="URI",
    help="The model: a directory, runs:/<run_id>/<path>, models:/<model_id>, s3://...",
)


def env_manager_option(choices: tuple[str, ...], default: str) -> Callable[[F], F]:
    return click.option(
        "--env-manager",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Where the model runs: local = this Python; virtualenv/uv = a cached virtualenv "
        "of the model's requirements (built with uv); conda = a conda environment.",
    )


@click.group("models")
def group() -> None:
    """Serve models, score files with them, and package them."""


allow_pickle_option = click.option(
    "--allow-pickle/--no-allow-pickle",
    default=None,
    help="Unpickle the model's files (this runs code from them) although the model comes from "
    "a server or a registry; --no-allow-pickle refuses even for local models [default: "
    "only for your own models, a path or a store on this machine, unless "
    "RUNWELL_ALLOW_PICKLE=1].",
)


def _local_model(state: CliState, model_uri: str) -> str:
    """A local directory holding the model (downloaded when the URI is remote)."""
    from runwell.models.uri import download_model

    return download_model(model_uri, tracking_uri=state.tracking_uri)


def _fetched_model(state: CliState, model_uri: str, allow_pickle: bool | None) -> tuple[str, bool]:
    """A local directory holding the model, and whether loading it may unpickle its files
    (decided from where it came from: the local copy alone would count as the user's own)."""
    from runwell.models import trust

    directory, decision = trust.fetch(
        model_uri, tracking_uri=state.tracking_uri, allow_pickle=allow_pickle
    )
    return directory, decision.allow_pickle


def _pickle_flag(allowed: bool) -> str:
    return "--allow-pickle" if allowed else "--no-allow-pickle"


def _exec_in_env(env_manager: str, model_dir: str, args: list[str]) -> None:
    """Prepare the model's environment, then replace this process by ``runwell ARGS`` there."""
    from runwell.models import prepare_env

    def echo(message: str) -> None:
        click.echo(message, err=True)

    if env_manager == "conda":
        conda, prefix = prepare_env.prepare_conda_env(model_dir, echo=echo)
        command = prepare_env.conda_command(conda, prefix, args)
    else:
        env_dir = prepare_env.prepare_virtualenv(model_dir, echo=echo)
        command = prepare_env.virtualenv_command(env_dir, args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


# ------------------------------------------------------------------ serve


@group.command("serve", context_settings=_NO_SHORT_HELP)
@model_uri_option
@click.option("-p", "--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@env_manager_option(ENV_MANAGERS, "local")
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Refuse larger request bodies with 413 [default: 64 MiB].",
)
@click.option(
    "--batch-max-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Predict up to N concurrent DataFrame requests together [default: off].",
)
@click.option(
    "--batch-max-latency-ms",
    type=click.FloatRange(min=0),
    default=None,
    metavar="MS",
    help="How long a batch waits for more requests [default: 2].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="S",
    help="Answer 504 when a prediction takes longer [default: 60].",
)
@click.option("--log-level", type=click.Choice(_LOG_LEVELS), default="info", show_default=True)
@allow_pickle_option
@pass_state
def serve(
    state: CliState,
    model_uri: str,
    port: int,
    host: str,
    workers: int,
    env_manager: str,
    max_body_bytes: int | None,
    batch_max_size: int | None,
    batch_max_latency_ms: float | None,
    timeout: float | None,
    log_level: str,
    allow_pickle: bool | None,
) -> None:
    """Serve a model over HTTP (/invocations, /ping, /health, /version, /metrics)."""
    model_dir, allowed = _fetched_model(state, model_uri, allow_pickle)
    options: dict[str, Any] = {
        "max_body_bytes": max_body_bytes,
        "batch_max_size": batch_max_size,
        "batch_max_latency_ms": batch_max_latency_ms,
        "timeout_s": timeout,
    }
    if env_manager != "local":
        args = ["models", "serve", "-m", model_dir, "-p", str(port), "-h", host]
        args += ["-w", str(workers), "--env-manager", "local", "--log-level", log_level]
        args.append(_pickle_flag(allowed))
        for flag, value in (
            ("--max-body-bytes", max_body_bytes),
            ("--batch-max-size", batch_max_size),
            ("--batch-max-latency-ms", batch_max_latency_ms),
            ("--timeout", timeout),
        ):
            if value is not None:
                args += [flag, str(value)]
        _exec_in_env(env_manager, model_dir, args)
        return
    # Start-up only imports and loads: no garbage to collect. serve_uri enables the collector
    # again once the model is loaded (runwell.scoring.server._load).
    gc.disable()
    from runwell.scoring import serve_uri

    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {model_uri} at http://{shown}:{port}", err=True)
    given = {k: v for k, v in options.items() if v is not None}
    serve_uri(model_dir, host, port, workers, log_level=log_level, allow_pickle=allowed, **given)


# ------------------------------------------------------------------ predict


class _Progress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, total: int | None, unit: str) -> None:
        self.enabled = sys.stderr.isatty()
        self.unit = unit
        self.bar: Any = None
        self.shown = 0
        if self.enabled and total:
            self.bar = click.progressbar(
                length=total, label=f"Predicting ({unit})", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()

    def __call__(self, done: int, _total: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(max(done - self.shown, 0))
        else:
            click.echo(f"\rPredicted {done} {self.unit}", err=True, nl=False)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        elif self.enabled and self.shown:
            click.echo("", err=True)


@group.command("predict")
@model_uri_option
@click.option("-i", "--input-path", default=None, metavar="FILE", help="[default: stdin]")
@click.option("-o", "--output-path", default=None, metavar="FILE", help="[default: stdout]")
@click.option(
    "-t",
    "--content-type",
    default=None,
    metavar="TYPE",
    help="Input format when the extension does not tell: csv, json, jsonl, parquet "
    "(or text/csv, application/json ...) [default: from -i; json for stdin].",
)
@click.option(
    "--output-format",
    type=click.Choice(_FORMATS),
    default=None,
    help="Output format [default: from -o; json for stdout].",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    metavar="N",
    help="Rows predicted at a time.",
)
@env_manager_option(ENV_MANAGERS, "local")
@allow_pickle_option
@pass_state
def predict(
    state: CliState,
    model_uri: str,
    input_path: str | None,
    output_path: str | None,
    content_type: str | None,
    output_format: str | None,
    chunk_size: int,
    env_manager: str,
    allow_pickle: bool | None,
) -> None:
    """Predict the rows of a csv/json/parquet file (or stdin) into a file (or stdout)."""
    from runwell.scoring import batch

    # Check formats and the input before the (slower) model load or environment build.
    in_fmt = batch.data_format(input_path, content_type, "input")
    batch.data_format(output_path, output_format, "output")
    if input_path is not None and not Path(input_path).exists():
        from runwell.errors import NotFound

        raise NotFound(f"The input file '{input_path}' does not exist.")
    model_dir, allowed = _fetched_model(state, model_uri, allow_pickle)
    if env_manager != "local":
        args = ["models", "predict", "-m", model_dir, "--chunk-size", str(chunk_size)]
        args.append(_pickle_flag(allowed))
        for flag, value in (
            ("-i", os.path.abspath(input_path) if input_path else None),
            ("-o", os.path.abspath(output_path) if output_path else None),
            ("-t", content_type),
            ("--output-format", output_format),
        ):
            if value is not None:
                args += [flag, value]
        _exec_in_env(env_manager, model_dir, [*args, "--env-manager", "local"])
        return
    from runwell import pyfunc  # type: ignore[attr-defined,unused-ignore]

    model = pyfunc.load_model(model_dir, allow_pickle=allowed)
    progress = _Progress(*batch.progress_total(input_path, in_fmt))
    try:
        result = batch.predict_file(
            model,
            input_path,
            output_path,
            content_type=content_type,
            output_format=output_format,
            chunk_size=chunk_size,
            progress=progress,
        )
    finally:
        progress.close()
    if output_path is not None:
        click.echo(f"Wrote {result.rows} predictions to {output_path}.", err=True)


# ------------------------------------------------------------------ describe


def _spec_rows(schema: Any) -> list[list[str]]:
    rows = []
    for spec in schema.to_dict():
        kind = spec.get("type", "")
        if kind == "tensor":
            kind = f"tensor {spec.get('tensor-spec', {}).get('dtype', '')}"
            kind += f" {tuple(spec.get('tensor-spec', {}).get('shape', ()))}"
        required = "yes" if spec.get("required", True) else "no"
        rows.append([str(spec.get("name", "-")), str(kind), required])
    return rows


def _flavor_rows(flavors: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in sorted(flavors):
        conf = flavors[name] or {}
        detail = {
            k: str(v) for k, v in conf.items() if v is not None and not isinstance(v, (dict, list))
        }
        rows.append([name, _render.pairs(detail)])
    return rows


@group.command("describe")
@model_uri_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_state
def describe(state: CliState, model_uri: str, as_json: bool) -> None:
    """Show a model's flavors, signature and requirements."""
    from runwell.models.model import Model

    model_dir = Path(_local_model(state, model_uri))
    model = Model.load(model_dir)
    requirements_file = model_dir / "requirements.txt"
    requirements = []
    if requirements_file.is_file():
        lines = requirements_file.read_text(encoding="utf-8").splitlines()
        requirements = [line.strip() for line in lines if line.strip()]
    if as_json:
        _render.echo_json(
            {"model_uri": model_uri, "mlmodel": model.to_dict(), "requirements": requirements}
        )
        return
    facts = [
        ("uri", model_uri),
        ("uuid", model.model_uuid),
        ("created", f"{model.utc_time_created} UTC"),
        ("saved by", _saved_by(model)),
    ]
    facts += [(k, str(v)) for k, v in (("run id", model.run_id), ("model id", model.model_id)) if v]
    if model.model_size_bytes is not None:
        facts.append(("size", _render.size(model.model_size_bytes)))
    width = max(len(k) for k, _ in facts)
    out = [f"Model {model_dir}", *(f"  {k.ljust(width)}  {v}" for k, v in facts), ""]
    out += [
        "Flavors",
        _indent(_render.render_table(["flavor", "settings"], _flavor_rows(model.flavors))),
    ]
    signature = model.signature
    for title, schema in (
        ("Inputs", signature.inputs if signature else None),
        ("Outputs", signature.outputs if signature else None),
    ):
        out.append("")
        out.append(title)
        if schema is None:
            out.append("  (no signature)")
        else:
            rows = _spec_rows(schema)
            out.append(_indent(_render.render_table(["name", "type", "required"], rows)))
    if signature is not None and signature.params is not None:
        rows = [
            [p["name"], p["type"], repr(p.get("default")), str(p.get("shape") or "")]
            for p in signature.params.to_dict()
        ]
        out += [
            "",
            "Params",
            _indent(_render.render_table(["name", "type", "default", "shape"], rows)),
        ]
    out += ["", "Requirements", *([f"  {r}" for r in requirements] or ["  (none recorded)"])]
    click.echo("\n".join(out))


def _saved_by(model: Any) -> str:
    if model.runwell_version:
        return f"runwell {model.runwell_version}"
    if model.mlflow_version:
        return f"mlflow {model.mlflow_version}"
    return "unknown"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


# ------------------------------------------------------------------ environments


@group.command("prepare-env")
@model_uri_option
@env_manager_option(("virtualenv", "uv", "conda"), "virtualenv")
@pass_state
def prepare_env_command(state: CliState, model_uri: str, env_manager: str) -> None:
    """Build (or reuse) the model's environment; print its path.

    Environments are cached under $RUNWELL_ENV_ROOT (default ~/.runwell/envs), keyed by the
    Python version and the model's requirements.
    """
    from runwell.models import prepare_env

    model_dir = _local_model(state, model_uri)

    def echo(message: str) -> None:
        click.echo(message, err=True)

    if env_manager == "conda":
        _conda, path = prepare_env.prepare_conda_env(model_dir, echo=echo)
    else:
        path = prepare_env.prepare_virtualenv(model_dir, echo=echo)
    click.echo(str(path))


# ------------------------------------------------------------------ docker


@group.command("generate-dockerfile")
@model_uri_option
@click.option(
    "-d",
    "--output-directory",
    default="runwell-dockerfile",
    show_default=True,
    metavar="DIR",
    help="A new (or empty) directory for the Dockerfile and its build context.",
)
@pass_state
def generate_dockerfile(state: CliState, model_uri: str, output_directory: str) -> None:
    """Write a Dockerfile and build context that serve the model on port 8080."""
    from runwell.models import docker

    dockerfile = docker.generate_dockerfile(_local_model(state, model_uri), output_directory)
    click.echo(f"Wrote {dockerfile}; build it with `docker build -t NAME {output_directory}`.")


@group.command("build-docker")
@model_uri_option
@click.option("-n", "--name", default="runwell-model", show_default=True, help="Image name[:tag].")
@pass_state
def build_docker(state: CliState, model_uri: str, name: str) -> None:
    """Build a Docker image serving the model (needs a running Docker engine)."""
    import tempfile

    from runwell.errors import InvalidState
    from runwell.models import docker

    docker.check_image_name(name)
    client = docker.docker_engine()
    model_dir = _local_model(state, model_uri)
    with tempfile.TemporaryDirectory(prefix="runwell-docker-") as scratch:
        context = Path(scratch) / "context"
        docker.generate_dockerfile(model_dir, context)
        status = docker.build_image(client, context, name)
    if status != 0:
        raise InvalidState(f"docker build failed (exit {status}); see its output above.")
    click.echo(f"Built image {name}; run it with `docker run -p 8080:8080 {name}`.")
