"""CLI fixtures: the real ``runwell`` group run by CliRunner against this test's SQLite file.

Data is made with a real RunwellClient of the same file; nothing of ours is mocked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import pytest
from click.testing import CliRunner, Result

import runwell
from runwell.cli import main
from runwell.entities import Metric, Param


class Invoke(Protocol):
    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> Result: ...


@pytest.fixture
def tracking_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/runwell.db"


@pytest.fixture
def client(tracking_uri: str) -> runwell.RunwellClient:
    """A client of the store the CLI is pointed at."""
    return runwell.RunwellClient(tracking_uri)


@pytest.fixture
def cli(tracking_uri: str) -> Invoke:
    """Run ``runwell --tracking-uri <this test's db> ARGS``; stdout and stderr kept apart."""
    runner = CliRunner()

    def invoke(*args: str, env: Mapping[str, str] | None = None) -> Result:
        return runner.invoke(
            main, ["--tracking-uri", tracking_uri, *args], env=env, catch_exceptions=False
        )

    return invoke


MakeRun = Callable[..., str]


@pytest.fixture
def make_run(client: runwell.RunwellClient) -> MakeRun:
    """Log a run with the given params and metrics; returns its id."""

    def make(
        experiment_id: str = "0",
        name: str | None = None,
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        status: str | None = "FINISHED",
    ) -> str:
        run = client.create_run(experiment_id, run_name=name)
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[
                Metric(key=k, value=v, timestamp=1_700_000_000_000, step=1)
                for k, v in (metrics or {}).items()
            ],
            params=[Param(key=k, value=v) for k, v in (params or {}).items()],
        )
        if status is not None:
            client.set_terminated(run_id, status)
        return run_id

    return make
