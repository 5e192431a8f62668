"""The ``runwell`` command line: verbs in noun groups, one module per group.

    runwell experiments create wine --tag team=vision
    runwell runs list --experiment-name wine --order-by "metrics.acc DESC"
    runwell runs describe 3f2a... --json
    runwell artifacts download --run-id 3f2a... --path plots --dst ./out
    runwell db upgrade sqlite:///runwell.db
    runwell models registry set-alias wine champion 3
    runwell server --port 5000          (alias: runwell ui)

``--tracking-uri`` picks the store; without it RUNWELL_TRACKING_URI (or MLFLOW_TRACKING_URI)
does, else ``sqlite:///<cwd>/runwell.db``.

Exit codes, decided in one place (``exit_code``)::

    0  success
    1  RunwellError: InvalidArgument, AlreadyExists, InvalidState (and any other code)
    2  usage error (click: unknown option, missing argument, bad choice)
    3  NotFound: no such experiment, run or artifact
    4  Unavailable: the database is unreachable or busy; try again

A RunwellError prints ``Error: <message>`` on stderr. Any other exception is a bug and
propagates with its traceback.
"""

from __future__ import annotations

from typing import Any

import click

from runwell.cli import artifacts, db, experiments, models, projects, registry, runs, server, sync
from runwell.cli import auth as auth_commands
from runwell.cli._context import CliState
from runwell.errors import NotFound, RunwellError, Unavailable
from runwell.tracking.client import resolve_tracking_uri

__all__ = ["exit_code", "main"]


def exit_code(error: RunwellError) -> int:
    """The process exit status for a RunwellError (the table in the module docstring)."""
    if isinstance(error, NotFound):
        return 3
    if isinstance(error, Unavailable):
        return 4
    return 1


class _RunwellGroup(click.Group):
    """The root group: turns a RunwellError from any command into a message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RunwellError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(exit_code(error))


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from runwell.tracking.doctor import version_line

        click.echo(version_line())
        ctx.exit()


@click.group(cls=_RunwellGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the SQLite library in use, and exit.",
)
@click.option(
    "--tracking-uri",
    metavar="URI",
    default=None,
    help="Tracking store: sqlite:///path, postgresql://..., mysql+pymysql://... "
    "[default: $RUNWELL_TRACKING_URI, else sqlite:///<cwd>/runwell.db]",
)
@click.pass_context
def main(ctx: click.Context, tracking_uri: str | None) -> None:
    """Track experiments and runs; compatible with MLflow's formats."""
    ctx.obj = CliState(tracking_uri=resolve_tracking_uri(tracking_uri))


main.add_command(experiments.group)
main.add_command(runs.group)
main.add_command(artifacts.group)
main.add_command(db.group)
main.add_command(models.group)
models.group.add_command(registry.group)
main.add_command(projects.command, "run")
main.add_command(server.command, "server")
main.add_command(server.command, "ui")
main.add_command(sync.command, "sync")
main.add_command(auth_commands.group)


@main.command("doctor")
@click.option("--mask-envs", is_flag=True, help="Show RUNWELL_*/MLFLOW_* variables as ***.")
@click.pass_obj
def doctor(state: CliState, mask_envs: bool) -> None:
    """Print versions, URIs and the SQLite library in use (attach it to a bug report)."""
    from runwell.tracking.doctor import doctor as print_report

    print_report(mask_envs=mask_envs, tracking_uri=state.tracking_uri)
