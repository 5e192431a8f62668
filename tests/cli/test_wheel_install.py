"""``pip install runwell`` from a built wheel gives a working server and client (issue 23).

The wheel is built from this checkout into a temporary folder, installed into a new virtualenv
of its own (nothing from the checkout on its path), and that environment's ``runwell server``
and client are used as a user would: serve, log a run over HTTP, read it back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.models.model_builders import free_port

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")
FIND_LINKS = ["--find-links", "/opt/wheels"] if Path("/opt/wheels").is_dir() else []

pytestmark = pytest.mark.slow

CLIENT_SCRIPT = """
import json, sys
import runwell
runwell.set_tracking_uri(sys.argv[1])
runwell.set_experiment("from-the-wheel")
with runwell.start_run() as run:
    runwell.log_param("alpha", "0.5")
    for step in range(3):
        runwell.log_metric("loss", 1.0 / (step + 1), step=step)
found = runwell.MlflowClient().get_run(run.info.run_id)
print(json.dumps({
    "module": runwell.__file__,
    "params": found.data.params,
    "loss": found.data.metrics["loss"],
    "status": found.info.status,
}))
"""


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.pop("RUNWELL_TRACKING_URI", None)
    return env


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with runwell installed from a wheel built from this checkout."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [str(UV), "build", "--wheel", "--out-dir", str(work / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (work / "dist").glob("runwell-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "runwell/server/ui/templates/base.html" in names or any(
        n.startswith("runwell/server/ui/templates/") for n in names
    ), "the UI's templates must ship in the wheel"
    assert not any(n.startswith("tests/") for n in names)
    venv = work / "venv"
    subprocess.run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            *FIND_LINKS,
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
        env=_clean_env(),
    )
    return venv


def test_the_wheels_server_serves_and_its_client_logs_and_reads_a_run(
    wheel_env: Path, tmp_path: Path
) -> None:
    port = free_port()
    store = tmp_path / "store"
    store.mkdir()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [
            str(wheel_env / "bin" / "runwell"),
            "server",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{store / 'runwell.db'}",
        ],
        cwd=store,
        env=_clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the wheel's server did not start in 60 s"
            time.sleep(0.25)
        assert "runwell" in httpx.get(f"{url}/", timeout=10).text.lower()  # the UI is there
        client = subprocess.run(
            [str(wheel_env / "bin" / "python"), "-c", CLIENT_SCRIPT, url],
            cwd=tmp_path,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert client.returncode == 0, client.stderr[-2000:]
        seen = json.loads(client.stdout.strip().splitlines()[-1])
        assert str(wheel_env) in seen["module"], seen["module"]  # not this checkout
        assert seen["params"] == {"alpha": "0.5"}
        assert seen["loss"] == pytest.approx(1 / 3)
        assert seen["status"] == "FINISHED"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
