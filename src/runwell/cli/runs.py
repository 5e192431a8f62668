"""``runwell runs``: list, describe, delete, restore, end and reproduce runs."""

from __future__ import annotations

import click

from runwell.cli import _render
from runwell.cli._context import (
    CliState,
    experiment_ids,
    pass_state,
    require_experiment,
    require_run,
    view_option,
)
from runwell.cli.projects import ENV_MANAGERS
from runwell.entities import FileInfo, Run, RunStatus, ViewType
from runwell.errors import InvalidState
from runwell.tracking.paging import collect_pages

# Runs are fetched in pages of this size until --max-results is reached.
_PAGE_SIZE = 1000
_END_STATUSES = [s.name for s in RunStatus if s.is_terminated]


@click.group("runs")
def group() -> None:
    """Executions of code, with their params, metrics, tags and artifacts."""


@group.command("list")
@click.option(
    "--experiment-id",
    "ids",
    multiple=True,
    metavar="ID",
    help="Runs of this experiment (repeatable) [default: every active experiment].",
)
@click.option(
    "--experiment-name", "names", multiple=True, metavar="NAME", help="Same, by name (repeatable)."
)
@click.option(
    "--filter",
    "filter_string",
    default="",
    metavar="EXPR",
    help="e.g. \"metrics.acc > 0.9 and params.C = '1.0'\".",
)
@click.option(
    "--order-by",
    multiple=True,
    metavar="KEY [ASC|DESC]",
    help="e.g. 'metrics.acc DESC' or 'start_time' (repeatable) [default: newest first].",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    metavar="N",
    help="Show at most N runs.",
)
@view_option("runs")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_state
def list_(
    state: CliState,
    ids: tuple[str, ...],
    names: tuple[str, ...],
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    view: ViewType,
    as_json: bool,
) -> None:
    """List runs with their latest metrics and params."""
    client = state.client
    experiments = experiment_ids(client, ids, names)
    found = collect_pages(
        lambda size, token: client.search_runs(
            experiments, filter_string, view, size, order_by, token
        ),
        max_results,
        _PAGE_SIZE,
    )
    if as_json:
        _render.echo_json(found)
        return
    if not found:
        click.echo("No runs match; see `runwell experiments list` for experiments.")
        return
    headers = ["run id", "name", "status", "started", "duration", "metrics", "params"]
    if len(experiments) > 1:
        headers.insert(1, "exp")
    rows = []
    for run in found:
        info = run.info
        metrics = {key: _render.number(value) for key, value in run.data.metrics.items()}
        row = [
            info.run_id,
            info.run_name,
            info.status.name,
            _render.local_time(info.start_time),
            _render.duration(info.start_time, info.end_time),
            _render.pairs(metrics),
            _render.pairs(run.data.param_dict),
        ]
        if len(experiments) > 1:
            row.insert(1, info.experiment_id)
        rows.append(row)
    _render.echo_table(headers, rows, shrink={"name", "metrics", "params"})


def _describe_text(run: Run, experiment_name: str, artifacts: list[FileInfo]) -> None:
    info = run.info
    lines = [
        f"Run {info.run_id} '{info.run_name}'",
        *_aligned(
            [
                ("experiment", f"{info.experiment_id} '{experiment_name}'"),
                ("status", info.status.name),
                ("lifecycle", info.lifecycle_stage.value),
                ("user", info.user_id),
                ("started", _render.local_time(info.start_time)),
                ("ended", _render.local_time(info.end_time)),
                ("duration", _render.duration(info.start_time, info.end_time)),
                ("artifact uri", info.artifact_uri),
            ]
        ),
    ]
    params = sorted(run.data.params.items())
    metrics = sorted(
        (m.key, f"{_render.number(m.value)}  (step {m.step})") for m in run.data.metric_list
    )
    tags = sorted(run.data.tags.items())
    inputs = []
    for used in run.inputs.dataset_inputs:
        context = ", ".join(f"{t.key.rsplit('.', 1)[-1]}={t.value}" for t in used.tags)
        detail = f"digest {used.dataset.digest}, {used.dataset.source_type}"
        inputs.append((used.dataset.name, f"{detail}{', ' + context if context else ''}"))
    files = [
        (f.path + ("/" if f.is_dir else ""), "" if f.is_dir else _render.size(f.file_size))
        for f in artifacts
    ]
    sections = [
        ("Params", params),
        ("Metrics", metrics),
        ("Tags", tags),
        ("Inputs", inputs),
        ("Artifacts", files),
    ]
    for title, items in sections:
        lines += ["", title, *(_aligned(items) if items else ["  (none)"])]
    click.echo("\n".join(lines))


def _aligned(items: list[tuple[str, str]]) -> list[str]:
    width = max(len(key) for key, _ in items)
    return [f"  {key.ljust(width)}  {value}".rstrip() for key, value in items]


@group.command("describe")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_state
def describe(state: CliState, run_id: str, as_json: bool) -> None:
    """Show a run: info, params, latest metrics, tags, inputs and artifacts."""
    client = state.client
    run = require_run(client, run_id)
    artifacts = client.list_artifacts(run_id)
    if as_json:
        _render.echo_json({**_render.to_data(run), "artifacts": artifacts})
        return
    experiment = require_experiment(client, run.info.experiment_id)
    _describe_text(run, experiment.name, artifacts)


@group.command("delete")
@click.argument("run_id")
@pass_state
def delete(state: CliState, run_id: str) -> None:
    """Delete the run RUN_ID (it can be restored)."""
    require_run(state.client, run_id)
    state.client.delete_run(run_id)
    click.echo(f"Deleted run {run_id}; undo with `runwell runs restore {run_id}`.")


@group.command("restore")
@click.argument("run_id")
@pass_state
def restore(state: CliState, run_id: str) -> None:
    """Restore the deleted run RUN_ID."""
    require_run(state.client, run_id)
    state.client.restore_run(run_id)
    click.echo(f"Restored run {run_id}.")


@group.command("end")
@click.argument("run_id")
@click.option(
    "--status",
    type=click.Choice(_END_STATUSES, case_sensitive=False),
    default=RunStatus.KILLED.name,
    show_default=True,
    help="How the run ended.",
)
@pass_state
def end(state: CliState, run_id: str, status: str) -> None:
    """End a run still marked RUNNING, e.g. after its process was killed."""
    run = require_run(state.client, run_id)
    if run.info.status.is_terminated:
        raise InvalidState(
            f"run {run_id} already ended as {run.info.status.name} at "
            f"{_render.local_time(run.info.end_time)}; only RUNNING or SCHEDULED runs can be ended"
        )
    info = state.client.set_terminated(run_id, status.upper())
    click.echo(f"Ended run {run_id} as {info.status.name}.")


@group.command("reproduce")
@click.argument("run_id")
@click.option(
    "--experiment-name", default=None, help="Experiment of the new run [default: the original's]."
)
@click.option("--experiment-id", default=None, help="Id of an existing experiment for it.")
@click.option("--run-name", default=None, help="Name of the new run [default: a generated one].")
@click.option(
    "--env-manager",
    type=click.Choice(ENV_MANAGERS),
    default=None,
    help="Where the command runs [default: the env manager the original run used].",
)
@click.option(
    "--storage-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where path parameters given as URIs are downloaded [default: a temp dir].",
)
@pass_state
def reproduce(
    state: CliState,
    run_id: str,
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
    env_manager: str | None,
    storage_dir: str | None,
) -> None:
    """Run the project run RUN_ID again: same commit, entry point, parameters, environment.

    The new run is tagged runwell.reproduced_from=RUN_ID; the exit status is 0 when it
    FINISHED and 1 when it FAILED.
    """
    from runwell.cli.projects import finished_status
    from runwell.projects.reproduce import reproduce as reproduce_run
    from runwell.tracking import fluent

    if experiment_name is not None and experiment_id is not None:
        raise click.UsageError("Give at most one of --experiment-name and --experiment-id.")
    require_run(state.client, run_id)
    fluent.set_tracking_uri(state.tracking_uri)
    submitted = reproduce_run(
        run_id,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        env_manager=env_manager,
        storage_dir=storage_dir,
        synchronous=False,
    )
    status = finished_status(submitted)
    click.echo(f"Run {submitted.run_id} {status}: reproduces run {run_id}", err=True)
