"""Scale-out with object storage: workers over PostgreSQL whose artifacts live in S3.

The bucket is on a real Ceph RADOS Gateway (``tests/s3/ceph.py``); the ``s3`` fixture points
the environment at it, and the server processes inherit that environment, as a deployment
would hand its credentials to the server. Two modes are checked: the default proxy
(``--artifacts-destination s3://...``: clients only talk to the server) and direct access
(``--no-serve-artifacts --default-artifact-root s3://...``: clients write to the bucket
themselves and the server only records where).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from runwell import RunwellClient
from runwell.store.sql.tracking import SqlTrackingStore
from tests.s3.conftest import S3Bucket
from tests.scaleout.checks import check_load, expected_artifacts
from tests.scaleout.cluster import multi_worker_server, own_runs, postgres_database, start_clients
from tests.scaleout.workload import PROCESSES
from tests.server.cli_process import run_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(sys.platform != "linux", reason="reads worker sockets from /proc"),
]

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_database("s3") as url:
        yield url


def test_workers_proxy_concurrent_uploads_into_the_bucket(
    s3: S3Bucket, database: str, tmp_path: Path
) -> None:
    (tmp_path / "server").mkdir()
    with multi_worker_server(tmp_path / "server", 4, database, s3.uri("proxied")) as server:
        client = RunwellClient(server.url)
        experiment_id = client.create_experiment("s3-load")
        shared = [client.create_run(experiment_id, run_name=n).info.run_id for n in ("b", "s")]
        clients = start_clients(server.url, experiment_id, shared, tmp_path, PROCESSES)
        own = own_runs(clients)
        check_load(SqlTrackingStore(database, "mlflow-artifacts:"), experiment_id, shared, own)

        expected = expected_artifacts()
        prefix = f"proxied/{experiment_id}/{shared[0]}/artifacts/"
        assert s3.keys(prefix) == sorted(prefix + path for path in expected)
        for path, data in expected.items():
            stored = s3.admin.get_object(Bucket=s3.name, Key=prefix + path)["Body"].read()
            assert stored == data, path

        # Downloads through the workers, several at once, and a whole directory.
        repo = client.artifact_repo_for_run(shared[0])
        with ThreadPoolExecutor(8) as pool:
            downloaded = dict(zip(expected, pool.map(repo.read_bytes, expected), strict=True))
        assert downloaded == expected
        local = Path(client.download_artifacts(shared[0], "uploads", str(tmp_path / "dl")))
        for path in (p for p in expected if p.startswith("uploads/")):
            assert (local.parent / path).read_bytes() == expected[path], path


def test_without_the_proxy_clients_write_to_the_bucket_themselves(
    s3: S3Bucket, database: str, tmp_path: Path
) -> None:
    args = ("--backend-store-uri", database, "--no-serve-artifacts")
    root = s3.uri("direct")
    with run_server(tmp_path, *args, "--default-artifact-root", root) as server:
        client = RunwellClient(server.url)
        experiment_id = client.create_experiment("s3-direct")
        assert client.get_experiment(experiment_id).artifact_location == f"{root}/{experiment_id}"
        run = client.create_run(experiment_id)
        run_id = run.info.run_id
        assert run.info.artifact_uri == f"{root}/{experiment_id}/{run_id}/artifacts"
        client.log_text(run_id, "straight into the bucket", "notes/direct.txt")
        assert s3.keys("direct/") == [f"direct/{experiment_id}/{run_id}/artifacts/notes/direct.txt"]
        assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/direct.txt"]
        # The server does not proxy, and says how to turn it on.
        refused = httpx.put(f"{server.url}{PROXY}/{experiment_id}/x.txt", content=b"x")
        assert refused.status_code == 503
        assert refused.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "--serve-artifacts" in refused.json()["message"]
