"""The most common autolog script, through ``import runwell as mlflow``, against a real server:
when its ``with start_run()`` block ends, or when the script simply exits, every param,
metric, child run, artifact and model it logged is stored, readable and READY.

An outside run found the run empty right after the block, and a script that fitted and exited
lost its model: the exit flush ran after Python had shut its thread pools.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.offline.server_process import Restartable, running

pytestmark = pytest.mark.slow

_CHECK_RIGHT_AFTER_THE_BLOCK = textwrap.dedent(
    """
    import json
    import httpx
    import runwell as mlflow
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = load_iris(return_X_y=True)
    mlflow.sklearn.autolog()
    with mlflow.start_run() as run:
        LogisticRegression(C=0.7, max_iter=300).fit(X, y)
    api = mlflow.get_tracking_uri() + "/api/2.0/mlflow"
    data = httpx.get(api + "/runs/get", params={"run_id": run.info.run_id}).json()["run"]["data"]
    models = httpx.post(
        api + "/logged-models/search",
        json={"experiment_ids": ["0"], "filter": f"source_run_id = '{run.info.run_id}'"},
    ).json().get("models", [])
    with mlflow.start_run() as search:
        GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.5, 1.0]}, cv=2).fit(X, y)
    children = httpx.post(
        api + "/runs/search",
        json={"experiment_ids": ["0"],
              "filter": f"tags.mlflow.parentRunId = '{search.info.run_id}'"},
    ).json().get("runs", [])
    files = httpx.get(api + "/artifacts/list", params={"run_id": search.info.run_id}).json()
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris")
    print(json.dumps({
        "params": {p["key"]: p["value"] for p in data.get("params", [])},
        "metrics": sorted(m["key"] for m in data.get("metrics", [])),
        "tags": {t["key"]: t["value"] for t in data.get("tags", [])},
        "models": [m["info"]["status"] for m in models],
        "children": len(children),
        "search_files": sorted(f["path"] for f in files.get("files", [])),
        "prediction": int(loaded.predict(X[:1])[0]),
        "version_status": version.status.name,
    }))
    """
)

_FIT_AND_EXIT = textwrap.dedent(
    """
    import runwell as mlflow
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = load_iris(return_X_y=True)
    mlflow.sklearn.autolog()
    with mlflow.start_run(run_name="exits") as run:
        pass
    GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.5, 1.0]}, cv=2).fit(X, y)
    print(mlflow.last_active_run().info.run_id, flush=True)
    """
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Restartable]:
    with running(tmp_path / "server") as process:
        yield process


def _script(server: Restartable, source: str, tmp_path: Path) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))}
    environment.update(RUNWELL_TRACKING_URI=server.url, RUNWELL_CAPTURE_CONTEXT="0")
    done = subprocess.run(
        [sys.executable, "-c", source],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "autolog" not in done.stderr, done.stderr  # no autolog failure warning
    return done.stdout.strip().splitlines()[-1]


def test_everything_is_stored_when_the_block_ends(server: Restartable, tmp_path: Path) -> None:
    seen = json.loads(_script(server, _CHECK_RIGHT_AFTER_THE_BLOCK, tmp_path))
    assert seen["params"]["C"] == "0.7"
    assert "training_accuracy_score" in seen["metrics"]
    assert seen["tags"]["estimator_name"] == "LogisticRegression"
    assert seen["models"] == ["LOGGED_MODEL_READY"]
    assert seen["children"] == 2
    assert "cv_results.csv" in seen["search_files"]
    assert seen["prediction"] in (0, 1, 2)
    assert seen["version_status"] == "READY"


def test_a_script_that_fits_and_exits_loses_nothing(server: Restartable, tmp_path: Path) -> None:
    run_id = _script(server, _FIT_AND_EXIT, tmp_path)
    api = server.url + "/api/2.0/mlflow"
    models = httpx.post(
        api + "/logged-models/search",
        json={"experiment_ids": ["0"], "filter": f"source_run_id = '{run_id}'"},
    ).json()["models"]
    # GridSearchCV logs the best estimator and the search itself; both uploaded and READY.
    assert len(models) >= 2
    assert {m["info"]["status"] for m in models} == {"LOGGED_MODEL_READY"}
    children = httpx.post(
        api + "/runs/search",
        json={"experiment_ids": ["0"], "filter": f"tags.mlflow.parentRunId = '{run_id}'"},
    ).json()["runs"]
    assert len(children) == 2
    files = httpx.get(api + "/artifacts/list", params={"run_id": run_id}).json()["files"]
    assert "cv_results.csv" in {f["path"] for f in files}
