"""``runwell experiments``: create, list, rename, delete and restore experiments."""

from __future__ import annotations

import click

from runwell.cli import _render
from runwell.cli._context import (
    CliState,
    parse_tags,
    pass_state,
    require_experiment,
    view_option,
)
from runwell.entities import LifecycleStage, ViewType
from runwell.errors import AlreadyExists
from runwell.tracking.paging import collect_pages


def _check_name_free(state: CliState, name: str) -> None:
    # The store enforces uniqueness too; asking first lets the message say where to look.
    taken = state.client.get_experiment_by_name(name)
    if taken is not None:
        raise AlreadyExists(
            f"experiment '{name}' already exists (id {taken.experiment_id}, "
            f"{taken.lifecycle_stage.value}); choose another name or see "
            "`runwell experiments list --view all`"
        )


@click.group("experiments")
def group() -> None:
    """Named groups of runs."""


@group.command("create")
@click.argument("name")
@click.option(
    "--artifact-location",
    metavar="URI",
    help="Where the experiment's runs store artifacts [default: beside the store].",
)
@click.option(
    "--tag",
    "tags",
    metavar="KEY=VALUE",
    multiple=True,
    callback=parse_tags,
    help="A tag on the experiment (repeatable).",
)
@pass_state
def create(state: CliState, name: str, artifact_location: str | None, tags: dict[str, str]) -> None:
    """Create the experiment NAME and print its id."""
    _check_name_free(state, name)
    experiment_id = state.client.create_experiment(name, artifact_location, tags)
    click.echo(f"Created experiment '{name}' with id {experiment_id}.")


@group.command("list")
@view_option("experiments")
@click.option(
    "--filter",
    "filter_string",
    metavar="EXPR",
    help="e.g. \"name LIKE 'wine%'\" or \"tags.team = 'vision'\".",
)
@click.option(
    "--order-by",
    multiple=True,
    metavar="KEY [ASC|DESC]",
    help="e.g. 'name' or 'creation_time DESC' (repeatable).",
)
@click.option(
    "--max-results", type=click.IntRange(min=1), metavar="N", help="Show at most N [default: all]."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_state
def list_(
    state: CliState,
    view: ViewType,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int | None,
    as_json: bool,
) -> None:
    """List experiments."""
    found = collect_pages(
        lambda size, token: state.client.search_experiments(
            view, size, filter_string, order_by, token
        ),
        max_results,
        page_size=1000,
    )
    if as_json:
        _render.echo_json(found)
        return
    if not found:
        click.echo("No experiments match; create one with `runwell experiments create NAME`.")
        return
    headers = ["id", "name", "stage", "created", "artifact location", "tags"]
    rows = [
        [
            e.experiment_id,
            e.name,
            e.lifecycle_stage.value,
            _render.local_time(e.creation_time),
            e.artifact_location,
            _render.pairs(e.tag_dict),
        ]
        for e in found
    ]
    _render.echo_table(headers, rows, shrink={"name", "artifact location", "tags"})


@group.command("rename")
@click.argument("experiment_id")
@click.argument("new_name")
@pass_state
def rename(state: CliState, experiment_id: str, new_name: str) -> None:
    """Rename the experiment EXPERIMENT_ID to NEW_NAME."""
    old = require_experiment(state.client, experiment_id)
    if new_name != old.name:
        _check_name_free(state, new_name)
    state.client.rename_experiment(old.experiment_id, new_name)
    click.echo(f"Renamed experiment {old.experiment_id} from '{old.name}' to '{new_name}'.")


@group.command("delete")
@click.argument("experiment_id")
@pass_state
def delete(state: CliState, experiment_id: str) -> None:
    """Delete the experiment EXPERIMENT_ID and its runs (they can be restored)."""
    experiment = require_experiment(state.client, experiment_id)
    state.client.delete_experiment(experiment.experiment_id)
    click.echo(
        f"Deleted experiment {experiment.experiment_id} '{experiment.name}'; undo with "
        f"`runwell experiments restore {experiment.experiment_id}`."
    )


@group.command("restore")
@click.argument("experiment_id")
@pass_state
def restore(state: CliState, experiment_id: str) -> None:
    """Restore the deleted experiment EXPERIMENT_ID and its runs."""
    experiment = require_experiment(state.client, experiment_id)
    if experiment.lifecycle_stage is LifecycleStage.ACTIVE:
        click.echo(f"Experiment {experiment.experiment_id} '{experiment.name}' is not deleted.")
        return
    state.client.restore_experiment(experiment.experiment_id)
    click.echo(f"Restored experiment {experiment.experiment_id} '{experiment.name}'.")
