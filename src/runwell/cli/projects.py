"""``runwell run``: run an MLproject entry point as a tracked run.

    runwell run . -P alpha=0.5                         # the project in this directory
    runwell run ./wine -e train.py --env-manager local
    runwell run https://github.com/org/repo#sub -v v1.2 --experiment-name wine
    runwell run file:///srv/git/repo.git -v 3f2a9c1 -P data=runs:/<run_id>/data

The project's output streams here and is kept with the run (artifacts ``project-logs/``).
The run's id is printed when it starts and its final status when it ends; the exit status is
0 when the run FINISHED and 1 when it FAILED (Ctrl-C stops it: KILLED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from runwell.cli._context import CliState, pass_state

if TYPE_CHECKING:
    from runwell.projects.submitted import SubmittedRun

ENV_MANAGERS = ("local", "virtualenv", "uv", "conda", "docker")


Pairs = dict[str, str | bool]


def _pairs(
    flag: str, example: str, allow_bare: bool = False
) -> Callable[[click.Context, click.Parameter, Sequence[str]], Pairs]:
    """A click callback parsing a repeatable KEY=VALUE option (KEY alone with allow_bare)."""

    def parse(_ctx: click.Context, _param: click.Parameter, values: Sequence[str]) -> Pairs:
        found: Pairs = {}
        for item in values:
            key, sep, value = item.partition("=")
            if not key or (not sep and not allow_bare):
                raise click.BadParameter(f"'{item}' is not KEY=VALUE, e.g. {flag} {example}")
            found[key] = value if sep else True
        return found

    return parse


@click.command("run")
@click.argument("uri")
@click.option(
    "-e", "--entry-point", default="main", show_default=True, help="Entry point, or a .py/.sh file."
)
@click.option(
    "-v", "--version", default=None, help="Git branch, tag or commit to check out and run."
)
@click.option(
    "-P",
    "--param-list",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_pairs("-P", "alpha=0.5"),
    help="A parameter of the entry point (repeat for more).",
)
@click.option(
    "-A",
    "--docker-args",
    "docker_args",
    multiple=True,
    metavar="KEY[=VALUE]",
    callback=_pairs("-A", "gpus=all", allow_bare=True),
    help="A `docker run` option for docker_env projects: -A gpus=all -> --gpus all.",
)
@click.option(
    "--env-manager",
    type=click.Choice(ENV_MANAGERS),
    default=None,
    help="Where the command runs [default: what the project declares: python_env -> "
    "virtualenv, conda_env -> conda, docker_env -> docker, none -> local].",
)
@click.option("--experiment-name", default=None, help="Experiment of the run (made if new).")
@click.option("--experiment-id", default=None, help="Id of an existing experiment for the run.")
@click.option("--run-name", default=None, help="Name of the run [default: a generated one].")
@click.option(
    "--build-image", is_flag=True, help="docker_env: build an image holding the project first."
)
@click.option(
    "--storage-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where path parameters given as URIs are downloaded [default: a temp dir].",
)
@pass_state
def command(
    state: CliState,
    uri: str,
    entry_point: str,
    version: str | None,
    params: dict[str, str],
    docker_args: dict[str, str | bool],
    env_manager: str | None,
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
    build_image: bool,
    storage_dir: str | None,
) -> None:
    """Run an entry point of the MLproject at URI (a directory or a git URI) in a new run."""
    from runwell.projects import run
    from runwell.tracking import fluent

    if experiment_name is not None and experiment_id is not None:
        raise click.UsageError("Give at most one of --experiment-name and --experiment-id.")
    fluent.set_tracking_uri(state.tracking_uri)
    submitted = run(
        uri,
        entry_point=entry_point,
        version=version,
        parameters=params,
        env_manager=env_manager,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        storage_dir=storage_dir,
        synchronous=False,
        build_image=build_image,
        docker_args=docker_args,
    )
    click.echo(f"Run {submitted.run_id} {finished_status(submitted)}", err=True)


def finished_status(submitted: SubmittedRun) -> str:
    """Wait for a submitted project run; its final status, or ProjectRunFailed (exit 1)."""
    from runwell.projects import ProjectRunFailed

    finished = submitted.wait()
    status = submitted.get_status()
    if not finished:
        raise ProjectRunFailed(submitted.run_id, status)
    return status
