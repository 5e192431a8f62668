"""What every command shares: the tracking URI, its client, and lookups worded for people.

The root group puts a ``CliState`` on the click context; commands take it with
``@pass_state``. The client is opened on first use, so ``runwell --help`` and ``runwell db``
never touch the tracking store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from runwell.entities import Experiment, Run, ViewType
from runwell.errors import NotFound
from runwell.tracking.client import RunwellClient

F = TypeVar("F", bound=Callable[..., Any])

VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}


@dataclass
class CliState:
    """The resolved tracking URI and, once asked for, a client of it."""

    tracking_uri: str
    _client: RunwellClient | None = field(default=None, repr=False)

    @property
    def client(self) -> RunwellClient:
        if self._client is None:
            self._client = RunwellClient(self.tracking_uri)
        return self._client


pass_state = click.make_pass_decorator(CliState)


def _parse_view(_ctx: click.Context, _param: click.Parameter, value: str) -> ViewType:
    return VIEWS[value]


def view_option(what: str) -> Callable[[F], F]:
    """``--view active|deleted|all``, parsed to a ViewType."""
    return click.option(
        "--view",
        type=click.Choice(list(VIEWS)),
        default="active",
        show_default=True,
        callback=_parse_view,
        help=f"Which {what} to show, by lifecycle stage.",
    )


def require_experiment(client: RunwellClient, experiment_id: str) -> Experiment:
    """The experiment with this id, or NotFound that says where to look."""
    try:
        return client.get_experiment(experiment_id)
    except NotFound:
        raise NotFound(
            f"no experiment with id '{experiment_id}'; see `runwell experiments list --view all`"
        ) from None


def experiment_named(client: RunwellClient, name: str) -> Experiment:
    """The experiment called ``name``, or NotFound that says where to look."""
    found = client.get_experiment_by_name(name)
    if found is None:
        raise NotFound(f"no experiment named '{name}'; see `runwell experiments list`")
    return found


def require_run(client: RunwellClient, run_id: str) -> Run:
    """The run with this id, or NotFound that says where to look."""
    try:
        return client.get_run(run_id)
    except NotFound:
        raise NotFound(f"no run with id '{run_id}'; see `runwell runs list`") from None


def experiment_ids(client: RunwellClient, ids: Sequence[str], names: Sequence[str]) -> list[str]:
    """Ids of the experiments given by id or name; every active experiment when none is."""
    chosen = [require_experiment(client, i).experiment_id for i in ids]
    chosen += [experiment_named(client, n).experiment_id for n in names]
    if ids or names:
        return list(dict.fromkeys(chosen))
    found: list[str] = []
    token: str | None = None
    while True:
        page = client.search_experiments(ViewType.ACTIVE_ONLY, 1000, page_token=token)
        found.extend(e.experiment_id for e in page)
        token = page.token
        if token is None:
            return found


def parse_tags(
    _ctx: click.Context, _param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    """click callback of a repeatable ``--tag KEY=VALUE`` option."""
    tags: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{item}' is not KEY=VALUE, e.g. --tag team=vision")
        tags[key] = value
    return tags
