"""The model registry: searching 10,000 versions, and resolving ``models:/<name>@<alias>``."""

from __future__ import annotations

import functools
import statistics
import time
from pathlib import Path

import httpx

import harness
import registry_data
import server_ops
from runwell import RunwellClient
from runwell.store.uri import forget_stores
from workloads import server

MLMODEL = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: bench\n"


def populate_registry(args: harness.Args) -> None:
    """``args.size`` versions over ``size / 10`` models in the SQLite file ``args.fixture``."""
    assert args.fixture is not None
    client = RunwellClient(f"sqlite:///{args.fixture}")
    run_id = client.create_run(client.create_experiment(registry_data.EXPERIMENT)).info.run_id
    model_dir = Path(args.fixture).parent / "bench-model"
    model_dir.mkdir(exist_ok=True)
    (model_dir / "MLmodel").write_text(MLMODEL)
    (model_dir / "model.bin").write_bytes(b"\0" * 1_000_000)
    client.log_artifacts(run_id, str(model_dir), "model")
    source = f"runs:/{run_id}/model"
    watch = harness.Stopwatch()
    with watch:
        for m in range(args.size // registry_data.VERSIONS_PER_MODEL):
            name = registry_data.model_name(m)
            client.create_registered_model(name)
            for v in range(registry_data.VERSIONS_PER_MODEL):
                client.create_model_version(
                    name, source, run_id=run_id, tags={"team": registry_data.team(v)}
                )
            client.set_registered_model_alias(name, registry_data.ALIAS, "1")
    forget_stores()
    harness.emit([watch.seconds], args.size)


def _search(client: RunwellClient, filter_string: str) -> int:
    return len(client.search_model_versions(filter_string).items)


def registry_search(args: harness.Args) -> None:
    """Median latency of ``search_model_versions`` by name and tag, on the fixture."""
    seconds = []
    found = 0
    for _ in range(args.reps):
        with harness.fresh_dir() as tmp:
            assert args.fixture is not None
            db = tmp / "runwell.db"
            harness.copy_database(args.fixture, db)
            client = RunwellClient(harness.sqlite_uri(db))
            query = functools.partial(_search, client, registry_data.search_filter(args.size))
            median, found = harness.median_latency(query, args.queries)
            seconds.append(median)
            forget_stores()
    harness.emit(seconds, 1, versions=args.size, queries=args.queries, returned=found)


def _resolve_and_start(http: httpx.Client, name: str) -> float:
    """``models:/<name>@champion`` as a loader resolves it over REST, to the first bytes of
    the model's MLmodel file; the seconds it took."""
    began = time.perf_counter()
    version = http.get(
        "/api/2.0/mlflow/registered-models/alias",
        params={"name": name, "alias": registry_data.ALIAS},
    ).json()["model_version"]["version"]
    location = http.get(
        "/api/2.0/mlflow/model-versions/get-download-uri",
        params={"name": name, "version": version},
    ).json()["artifact_uri"]
    path = location.split("mlflow-artifacts:/", 1)[1].lstrip("/")
    with http.stream("GET", f"/api/2.0/mlflow-artifacts/artifacts/{path}/MLmodel") as response:
        response.raise_for_status()
        next(response.iter_bytes())
    return time.perf_counter() - began


def registry_resolve(args: harness.Args) -> None:
    """Median time to resolve an alias and start the model's download, through a server.

    The server runs on a copy of the fixture; a model uploaded through it (so that its files
    are behind the server's artifact proxy) becomes the ``champion`` of one fixture model.
    """
    seconds = []
    for _ in range(args.reps):
        with (
            server_ops.fixture_server(server.command, args.fixture, "runwell.db") as s,
            httpx.Client(base_url=s.url) as http,
        ):
            name = registry_data.query_model(args.size)
            client = RunwellClient(s.url)
            run_id = client.create_run(client.create_experiment("served")).info.run_id
            with harness.fresh_dir() as tmp:
                (tmp / "MLmodel").write_text(MLMODEL)
                (tmp / "model.bin").write_bytes(b"\0" * 1_000_000)
                client.log_artifacts(run_id, str(tmp), "model")
            version = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
            client.set_registered_model_alias(name, registry_data.ALIAS, version.version)
            _resolve_and_start(http, name)  # warm-up
            seconds.append(
                statistics.median(_resolve_and_start(http, name) for _ in range(args.queries))
            )
            forget_stores()
    harness.emit(seconds, 1, versions=args.size, queries=args.queries)
