"""``runwell artifacts``: list, download and log the files of a run."""

from __future__ import annotations

import posixpath
from pathlib import Path

import click

from runwell import artifacts
from runwell.cli import _render
from runwell.cli._context import CliState, pass_state, require_run


@click.group("artifacts")
def group() -> None:
    """Files logged by runs: models, plots, data."""


@group.command("list")
@click.option("--run-id", required=True, metavar="ID", help="The run whose artifacts to list.")
@click.option("--path", metavar="P", help="A directory inside the run's artifacts [default: root].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_state
def list_(state: CliState, run_id: str, path: str | None, as_json: bool) -> None:
    """List the artifacts of a run, one directory level at a time."""
    require_run(state.client, run_id)
    infos = state.client.list_artifacts(run_id, path)
    if as_json:
        _render.echo_json(infos)
        return
    if not infos:
        where = f" under '{path}'" if path else ""
        click.echo(f"No artifacts{where} in run {run_id}.")
        return
    rows = [
        [
            f.path + ("/" if f.is_dir else ""),
            "dir" if f.is_dir else "file",
            _render.size(f.file_size),
        ]
        for f in infos
    ]
    _render.echo_table(["path", "type", "size"], rows, shrink={"path"})


@group.command("download")
@click.option("--run-id", metavar="ID", help="The run whose artifacts to download.")
@click.option("--path", metavar="P", help="A file or directory in the run [default: all].")
@click.option(
    "--artifact-uri",
    metavar="URI",
    help="Instead of --run-id: runs:/<run_id>/<path>, a file: URI or a local path.",
)
@click.option(
    "--dst",
    type=click.Path(file_okay=False),
    help="Directory to download into [default: a new temporary directory].",
)
@pass_state
def download(
    state: CliState,
    run_id: str | None,
    path: str | None,
    artifact_uri: str | None,
    dst: str | None,
) -> None:
    """Download artifacts and print where they now are."""
    if (run_id is None) == (artifact_uri is None):
        raise click.UsageError("give either --run-id (with an optional --path) or --artifact-uri")
    if path is not None and artifact_uri is not None:
        raise click.UsageError("--path goes with --run-id; put the path into --artifact-uri")
    if run_id is not None:
        require_run(state.client, run_id)
    local = artifacts.download_artifacts(
        artifact_uri=artifact_uri,
        run_id=run_id,
        artifact_path=path,
        dst_path=dst,
        tracking_uri=state.tracking_uri,
    )
    click.echo(local)


@group.command("log-artifact")
@click.option("--run-id", required=True, metavar="ID", help="The run to log to.")
@click.option(
    "--local-file",
    required=True,
    type=click.Path(exists=True),
    help="A file, or a directory (logged with its name and contents).",
)
@click.option(
    "--artifact-path", metavar="P", help="Directory inside the run's artifacts [default: root]."
)
@pass_state
def log_artifact(state: CliState, run_id: str, local_file: str, artifact_path: str | None) -> None:
    """Log a local file or directory as an artifact of a run."""
    run = require_run(state.client, run_id)
    state.client.log_artifact(run_id, local_file, artifact_path)
    name = Path(local_file).resolve().name
    target = posixpath.join(artifact_path, name) if artifact_path else name
    click.echo(f"Logged {local_file} to {run.info.artifact_uri.rstrip('/')}/{target}")
