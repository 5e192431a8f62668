"""A live server over each SQL backend with something for every search to find.

``searches`` is a server with runs, experiments, registered models (one with MLflow's prompt
tag, one without), model versions and a logged model; ``Searches.call`` sends a filter to one
of the six searches the server answers (the five REST searches and the UI's ``/models?q=``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runwell.entities import ExperimentTag, LoggedModelTag, Metric, Param, RunTag
from runwell.entities.registry import ModelVersionTag, RegisteredModelTag
from runwell.server.app import create_app
from runwell.store.sql.registry import SqlRegistryStore
from runwell.store.sql.tracking import SqlTrackingStore
from tests.conftest import _empty_database
from tests.live_server import serve
from tests.security.slow_data import LONG_VALUE, RUN_VALUE

API = "/api/2.0/mlflow"
PROMPT_TAG = "mlflow.prompt.is_prompt"
SERVER_BACKENDS = [
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]
BACKENDS = ["sqlite", *SERVER_BACKENDS]
# Each search, and the string field its LIKE cases compare (the prompt tag is the one the
# registry matches in Python, where the 16 s regex was).
SEARCH_FIELDS = {
    "runs": ("tags.t", "params.p", "attributes.run_name"),
    "experiments": ("name", "tags.k"),
    "registered-models": ("name", f"tags.`{PROMPT_TAG}`"),
    "model-versions": ("source_path", f"tags.`{PROMPT_TAG}`"),
    "logged-models": ("name", "tags.t"),
    "ui-models": (f"tags.`{PROMPT_TAG}`",),
}
# A comparison each search accepts, to build long filters of.
CLAUSES = {
    "runs": "metrics.m > 0",
    "experiments": "tags.k = 'v'",
    "registered-models": "tags.k = 'v'",
    "model-versions": "tags.k = 'v'",
    "logged-models": "tags.t = 'v'",
    "ui-models": "tags.k = 'v'",
}


@pytest.fixture(params=BACKENDS)
def backend_url(
    request: pytest.FixtureRequest, tmp_path: Path, server_databases: dict[str, str]
) -> str:
    """An empty database of each backend (the server ones carry their pytest marker)."""
    return _empty_database(request.param, tmp_path, server_databases)


@pytest.fixture(params=SERVER_BACKENDS)
def server_url(
    request: pytest.FixtureRequest, tmp_path: Path, server_databases: dict[str, str]
) -> str:
    """An empty PostgreSQL or MariaDB/MySQL database."""
    return _empty_database(request.param, tmp_path, server_databases)


@dataclass
class Searches:
    """A live server over a store with one of everything, and a client of it."""

    url: str
    http: httpx.Client
    tracking: SqlTrackingStore
    registry: SqlRegistryStore
    experiment_id: str

    def call(self, search: str, filter_string: str) -> httpx.Response:
        """Send ``filter_string`` to one search; the response, whatever its status."""
        self.http.cookies.clear()  # the UI sets a CSRF cookie; API calls carry none
        if search == "ui-models":
            return self.http.get("/models", params={"q": filter_string})
        if search in ("registered-models", "model-versions"):
            return self.http.get(f"{API}/{search}/search", params={"filter": filter_string})
        body: dict[str, Any] = {"filter": filter_string}
        if search == "experiments":
            body["max_results"] = 100
        else:
            body["experiment_ids"] = [self.experiment_id]
        return self.http.post(f"{API}/{search}/search", json=body)


def populate(tracking: SqlTrackingStore, registry: SqlRegistryStore) -> str:
    """Runs, an experiment tag, two registered models with versions, a logged model."""
    experiment = tracking.create_experiment(
        "exp-1", tags=[ExperimentTag(key="k", value="v")]
    ).experiment_id
    run_ids = []
    for i in range(3):
        run = tracking.create_run(experiment, "u", 1000 + i, run_name=f"run-{i}")
        tracking.log_batch(
            run.info.run_id,
            metrics=[Metric(key="m", value=float(i + 1), timestamp=1, step=0)],
            params=[Param(key="p", value=f"v{i}")],
            tags=[RunTag(key="t", value="v")],
        )
        run_ids.append(run.info)
    for i, prompt in enumerate(("false", None)):
        tags = [RegisteredModelTag(key="k", value="v")]
        if prompt is not None:
            tags.append(RegisteredModelTag(key=PROMPT_TAG, value=prompt))
        registry.create_registered_model(f"model-{i}", tags=tags)
        registry.create_model_version(
            f"model-{i}",
            f"{run_ids[i].artifact_uri}/model",
            run_id=run_ids[i].run_id,
            tags=[ModelVersionTag(key="k", value="v")],
        )
    tracking.create_logged_model(experiment, name="lm", tags=[LoggedModelTag(key="t", value="v")])
    return experiment


@pytest.fixture
def searches(backend_url: str, tmp_path: Path) -> Iterator[Searches]:
    tracking = SqlTrackingStore(backend_url, (tmp_path / "artifacts").as_uri())
    registry = SqlRegistryStore(backend_url)
    experiment = populate(tracking, registry)
    with (
        serve(create_app(tracking)) as url,
        httpx.Client(base_url=url, timeout=120) as http,
    ):
        yield Searches(url, http, tracking, registry, experiment)


@pytest.fixture
def slow_searches(server_url: str, tmp_path: Path) -> Iterator[Searches]:
    """A server whose stored values make a LIKE on them slow, for every search."""
    tracking = SqlTrackingStore(server_url, (tmp_path / "artifacts").as_uri())
    registry = SqlRegistryStore(server_url)
    experiment = tracking.create_experiment("slow").experiment_id
    first = None
    for i in range(60):
        tags = [RunTag(key="t", value=RUN_VALUE)]
        run = tracking.create_run(experiment, "u", 1000 + i, tags=tags)
        first = first or run.info
        tracking.create_logged_model(
            experiment, name=f"lm-{i}", tags=[LoggedModelTag(key="t", value=RUN_VALUE)]
        )
    assert first is not None
    for i in range(20):
        tracking.create_experiment(f"e-{i}", tags=[ExperimentTag(key="k", value=LONG_VALUE)])
    for i in range(40):  # PostgreSQL compares these faster than the tags above
        registry.create_registered_model(
            f"model-{i}", tags=[RegisteredModelTag(key="k", value=LONG_VALUE)]
        )
        registry.create_model_version(
            f"model-{i}",
            f"{first.artifact_uri}/model",
            run_id=first.run_id,
            tags=[ModelVersionTag(key="k", value=LONG_VALUE)],
        )
    with (
        serve(create_app(tracking)) as url,
        httpx.Client(base_url=url, timeout=120) as http,
    ):
        yield Searches(url, http, tracking, registry, experiment)
