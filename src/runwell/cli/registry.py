"""``runwell models registry``: registered models, their versions, aliases and stages.

runwell models registry register runs:/3f2a.../model wine
runwell models registry set-alias wine champion 3
runwell models registry transition wine 3 Production --archive-existing
runwell models registry list
runwell models registry describe wine
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from runwell.cli import _render
from runwell.cli._context import CliState, parse_tags, pass_state
from runwell.entities.registry import STAGES, ModelVersion, RegisteredModel
from runwell.tracking.paging import collect_pages

_PAGE_SIZE = 1000


_tag_option = click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    callback=parse_tags,
    help="A tag (repeatable).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _quoted(name: str) -> str:
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _versions(state: CliState, name: str) -> list[ModelVersion]:
    state.client.get_registered_model(name)  # NotFound names the model when it is missing
    found = collect_pages(
        lambda size, token: state.client.search_model_versions(
            f"name = {_quoted(name)}", size, ["version_number DESC"], token
        ),
        10_000,
        _PAGE_SIZE,
    )
    return list(found)


def _version_rows(versions: Sequence[ModelVersion]) -> list[list[str]]:
    return [
        [
            v.version,
            v.current_stage,
            v.status.name,
            ",".join(v.aliases) or "-",
            _render.local_time(v.creation_timestamp),
            v.run_id or "-",
            v.source,
        ]
        for v in versions
    ]


_VERSION_HEADERS = ["VERSION", "STAGE", "STATUS", "ALIASES", "CREATED", "RUN", "SOURCE"]


def _echo_version(version: ModelVersion, as_json: bool) -> None:
    if as_json:
        _render.echo_json(version)
        return
    _render.echo_table(_VERSION_HEADERS, _version_rows([version]), shrink=["SOURCE"])


@click.group("registry")
def group() -> None:
    """Registered models: versions, aliases and stages (models:/<name>@<alias>)."""


@group.command("list")
@click.option(
    "--filter", "filter_string", default="", metavar="EXPR", help="e.g. \"name LIKE 'wine%'\"."
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    metavar="N",
    help="Show at most N models.",
)
@_json_option
@pass_state
def list_(state: CliState, filter_string: str, max_results: int, as_json: bool) -> None:
    """List registered models with their latest version and aliases."""
    found: list[RegisteredModel] = list(
        collect_pages(
            lambda size, token: state.client.search_registered_models(
                filter_string or None, size, None, token
            ),
            max_results,
            _PAGE_SIZE,
        )
    )
    if as_json:
        _render.echo_json(found)
        return
    if not found:
        click.echo("No registered models.")
        return
    rows = [
        [
            m.name,
            max((v.version for v in m.latest_versions), key=int, default="-"),
            " ".join(f"{a}->{v}" for a, v in m.aliases.items()) or "-",
            _render.local_time(m.last_updated_timestamp),
            m.description or "-",
        ]
        for m in found
    ]
    _render.echo_table(
        ["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"], rows, shrink=["DESCRIPTION"]
    )


@group.command("describe")
@click.argument("name")
@_json_option
@pass_state
def describe(state: CliState, name: str, as_json: bool) -> None:
    """A registered model and all of its versions."""
    model = state.client.get_registered_model(name)
    versions = _versions(state, name)
    if as_json:
        _render.echo_json({"registered_model": model, "versions": versions})
        return
    click.echo(f"Name:        {model.name}")
    click.echo(f"Description: {model.description or '-'}")
    click.echo(f"Created:     {_render.local_time(model.creation_timestamp)}")
    click.echo(f"Updated:     {_render.local_time(model.last_updated_timestamp)}")
    click.echo(f"Tags:        {_render.pairs(model.tags) or '-'}")
    aliases = " ".join(f"{a}->{v}" for a, v in model.aliases.items())
    click.echo(f"Aliases:     {aliases or '-'}")
    click.echo("")
    if versions:
        _render.echo_table(_VERSION_HEADERS, _version_rows(versions), shrink=["SOURCE"])
    else:
        click.echo("No versions.")


@group.command("versions")
@click.argument("name")
@_json_option
@pass_state
def versions(state: CliState, name: str, as_json: bool) -> None:
    """The versions of a registered model, newest first."""
    found = _versions(state, name)
    if as_json:
        _render.echo_json(found)
        return
    if not found:
        click.echo(f"Registered model '{name}' has no versions.")
        return
    _render.echo_table(_VERSION_HEADERS, _version_rows(found), shrink=["SOURCE"])


@group.command("create")
@click.argument("name")
@click.option("--description", default=None, help="What the model is for.")
@_tag_option
@_json_option
@pass_state
def create(
    state: CliState, name: str, description: str | None, tags: dict[str, str], as_json: bool
) -> None:
    """Create an empty registered model."""
    model = state.client.create_registered_model(name, tags=tags, description=description)
    if as_json:
        _render.echo_json(model)
        return
    click.echo(f"Created registered model '{model.name}'.")


@group.command("register")
@click.argument("model_uri")
@click.argument("name")
@_tag_option
@_json_option
@pass_state
def register(
    state: CliState, model_uri: str, name: str, tags: dict[str, str], as_json: bool
) -> None:
    """Register MODEL_URI (runs:/..., models:/m-...) as a new version of NAME."""
    from runwell.tracking.fluent_registry import register_model

    version = register_model(model_uri, name, tags=tags, tracking_uri=state.tracking_uri)
    if as_json:
        _render.echo_json(version)
        return
    click.echo(f"Registered '{name}' version {version.version} from {version.source}.")


@group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete(state: CliState, name: str, yes: bool) -> None:
    """Delete a registered model with all of its versions and aliases."""
    state.client.get_registered_model(name)
    if not yes:
        click.confirm(f"Delete registered model '{name}' and all of its versions?", abort=True)
    state.client.delete_registered_model(name)
    click.echo(f"Deleted registered model '{name}'.")


@group.command("delete-version")
@click.argument("name")
@click.argument("version")
@pass_state
def delete_version(state: CliState, name: str, version: str) -> None:
    """Delete one version (its aliases go with it)."""
    state.client.delete_model_version(name, version)
    click.echo(f"Deleted '{name}' version {version}.")


@group.command("set-alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@pass_state
def set_alias(state: CliState, name: str, alias: str, version: str) -> None:
    """Point ALIAS of NAME at VERSION (moving it if it pointed elsewhere)."""
    state.client.set_registered_model_alias(name, alias, version)
    click.echo(f"'{name}@{alias}' -> version {version}  (load it as models:/{name}@{alias})")


@group.command("delete-alias")
@click.argument("name")
@click.argument("alias")
@pass_state
def delete_alias(state: CliState, name: str, alias: str) -> None:
    """Remove ALIAS from NAME."""
    state.client.delete_registered_model_alias(name, alias)
    click.echo(f"Deleted alias '{alias}' of '{name}'.")


@group.command("transition")
@click.argument("name")
@click.argument("version")
@click.argument("stage", type=click.Choice(list(STAGES), case_sensitive=False))
@click.option(
    "--archive-existing", is_flag=True, help="Archive the versions already in that stage."
)
@_json_option
@pass_state
def transition(
    state: CliState, name: str, version: str, stage: str, archive_existing: bool, as_json: bool
) -> None:
    """Move VERSION of NAME to STAGE (stages are deprecated in MLflow; aliases replace them)."""
    moved = state.client.transition_model_version_stage(name, version, stage, archive_existing)
    _echo_version(moved, as_json)
