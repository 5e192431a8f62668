"""``runwell server`` / ``runwell ui`` as a real child process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from runwell.cli import main
from runwell.server.app import build_app
from runwell.server.config import ServerConfig
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine
from runwell.store.sql.tracking import SqlTrackingStore
from tests.server.cli_process import RUNWELL, run_server


def _health(url: str) -> str:
    return httpx.get(url + "/health", timeout=10).text


def test_server_with_defaults_answers_and_proxies_artifacts(tmp_path: Path) -> None:
    with run_server(tmp_path) as server:
        assert _health(server.url) == "OK"
        created = httpx.post(
            server.url + "/api/2.0/mlflow/experiments/create", json={"name": "cli"}, timeout=10
        )
        assert created.status_code == 200
        put = httpx.put(
            server.url + "/api/2.0/mlflow-artifacts/artifacts/1/f.txt", content=b"x", timeout=10
        )
        assert put.status_code == 200
        lines = "".join(server.lines)
    assert "method=POST path=/api/2.0/mlflow/experiments/create status=200" in lines
    assert (tmp_path / "runwell.db").is_file()
    assert (tmp_path / "runwell-artifacts" / "1" / "f.txt").read_bytes() == b"x"
    store = SqlTrackingStore(f"sqlite:///{tmp_path}/runwell.db", "mlflow-artifacts:")
    assert store.get_experiment("1").artifact_location == "mlflow-artifacts:/1"


def test_server_starts_quickly(tmp_path: Path) -> None:
    with run_server(tmp_path) as server:
        started_in_s = server.started_in_s
    # From spawn to the first /health answer; the target is < 2 s on an idle machine, and
    # the bound leaves room for a busy CI box.
    assert started_in_s < 6, started_in_s


def test_no_serve_artifacts_uses_a_local_root(tmp_path: Path) -> None:
    with run_server(tmp_path, "--no-serve-artifacts") as server:
        response = httpx.post(
            server.url + "/api/2.0/mlflow/experiments/create", json={"name": "local"}, timeout=10
        )
        got = httpx.get(
            server.url + "/api/2.0/mlflow/experiments/get",
            params={"experiment_id": response.json()["experiment_id"]},
            timeout=10,
        ).json()
        assert got["experiment"]["artifact_location"].startswith("file://")
        put = httpx.put(server.url + "/api/2.0/mlflow-artifacts/artifacts/a.txt", content=b"x")
        assert put.status_code == 503


def test_a_stale_schema_stops_start_up_with_the_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    SqlTrackingStore(url, "mlflow-artifacts:")
    migrate.downgrade(get_engine(url), "0002")
    done = subprocess.run(
        [RUNWELL, "server", "--port", "0", "--backend-store-uri", url],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "runwell db upgrade" in done.stderr
    assert "0002" in done.stderr


def test_serving_loads_no_data_science_stack(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "import runwell.cli, uvicorn\n"
        "from runwell.server.app import build_app\n"
        "from runwell.server.config import ServerConfig\n"
        f"build_app(ServerConfig(backend_store_uri='sqlite:///{tmp_path}/light.db'))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert loaded.isdisjoint({"pandas", "numpy", "sklearn", "matplotlib", "pyarrow"})


def test_artifacts_only_needs_serve_artifacts() -> None:
    result = CliRunner().invoke(main, ["server", "--artifacts-only", "--no-serve-artifacts"])
    assert result.exit_code == 2
    assert "--artifacts-only needs --serve-artifacts" in result.output


def test_ui_is_an_alias_of_server() -> None:
    for name in ("server", "ui"):
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "--backend-store-uri" in result.stdout
        assert "--allowed-hosts" in result.stdout


def test_config_round_trips_through_the_environment() -> None:
    config = ServerConfig(
        backend_store_uri="postgresql://u@h/db",
        default_artifact_root="s3://bucket/root",
        serve_artifacts=False,
        artifacts_destination="/data/artifacts",
        artifacts_only=False,
        allowed_hosts=("a.example", "*.b.example"),
        cors_allowed_origins=("https://ui.example",),
        static_prefix="/mlflow",
        registry_store_uri="sqlite:///reg.db",
    )
    assert ServerConfig.from_env(config.to_env()) == config
    assert ServerConfig.from_env({}) == ServerConfig()
    assert ServerConfig().artifact_root == "mlflow-artifacts:"
    assert ServerConfig(serve_artifacts=False).artifact_root is None


def test_build_app_makes_the_store_and_keeps_the_registry_uri(tmp_path: Path) -> None:
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path}/built.db",
        artifacts_destination=str(tmp_path / "dest"),
        registry_store_uri="sqlite:///registry.db",
    )
    context = build_app(config).state.runwell
    assert context.registry_store_uri == "sqlite:///registry.db"
    assert context.artifacts.destination_uri == str(tmp_path / "dest")
    assert context.tracking().get_experiment("0").artifact_location == "mlflow-artifacts:/0"
    artifacts_only = build_app(ServerConfig(artifacts_only=True)).state.runwell
    assert artifacts_only.tracking_store is None


@pytest.mark.slow
def test_several_workers_share_the_database(tmp_path: Path) -> None:
    with run_server(tmp_path, "--workers", "2") as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            names = [f"e{i}" for i in range(20)]
            for name in names:
                response = http.post("/api/2.0/mlflow/experiments/create", json={"name": name})
                assert response.status_code == 200, response.text
            found = http.post(
                "/api/2.0/mlflow/experiments/search", json={"max_results": 100}
            ).json()
    assert {e["name"] for e in found["experiments"]} >= set(names)
