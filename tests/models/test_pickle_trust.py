"""Loading a model unpickles its files only when the model is the user's own or they opt in
(issue 19, item 13; the rule is runwell.models.trust's docstring).

The red team's case: bob registers ``team-model`` on a shared tracking server; alice loads
``models:/team-model/1``. Bob's pickle runs code when unpickled (here it touches a marker
file), so alice's load must refuse it, naming ``allow_pickle=True`` and
``RUNWELL_ALLOW_PICKLE``, and leave the marker absent, until she opts in. A skops file's own
list of trusted types does not count either. Local flows (a path, runs:/ and models:/ on the
embedded SQLite store) load as before.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import runwell
import runwell.pyfunc
import runwell.sklearn
from runwell.cli import main
from runwell.errors import InvalidArgument
from runwell.models import trust
from runwell.models.trust import PickleRefused
from runwell.models.uri import ModelLocation
from runwell.server.app import create_app
from runwell.store import uri as uris
from runwell.store.artifacts.local import LocalArtifactRepo
from runwell.store.sql.tracking import SqlTrackingStore
from tests.live_server import serve
from tests.models.model_builders import RUNWELL, free_port, stop, wait_for_ping

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
Y = [0, 1, 0, 1]
ROOT = Path(__file__).resolve().parents[2]
MARKER_ENV = "RUNWELL_TEST_PICKLE_MARKER"


class Touching(runwell.pyfunc.PythonModel):
    """A PythonModel whose unpickling runs code: it touches the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        Path(state["marker"]).touch()  # what a hostile pickle could do instead

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return [7] * len(model_input)


def doubled(values: Any) -> Any:
    """A function skops does not trust by itself (it would import this module to build it)."""
    return np.asarray(values) * 2


@pytest.fixture
def shared_server(tmp_path: Path) -> Iterator[str]:
    """A team's tracking server: SQLite behind it, artifacts proxied (mlflow-artifacts:)."""
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'team.db'}", "mlflow-artifacts:")
    with serve(create_app(store, str(tmp_path / "team-artifacts"))) as url:
        yield url


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "unpickled"


@pytest.fixture
def bobs_models(shared_server: str, marker: Path) -> dict[str, str]:
    """What bob logged and registered on the shared server; the marker is absent after."""
    runwell.set_tracking_uri(shared_server)
    runwell.set_experiment("team")
    with runwell.start_run() as run:
        touching = runwell.pyfunc.log_model(
            name="touching", python_model=Touching(str(marker)), registered_model_name="team-model"
        )
        pickled = runwell.sklearn.log_model(
            LogisticRegression().fit(X, Y),
            name="pickled",
            serialization_format="cloudpickle",
            registered_model_name="team-sk",
        )
        custom = make_pipeline(FunctionTransformer(doubled), LogisticRegression()).fit(X, Y)
        skops = runwell.sklearn.log_model(
            custom,
            name="skops",
            skops_trusted_types=[f"{__name__}.doubled"],  # the file vouches for itself
            registered_model_name="team-skops",
        )
    marker.unlink(missing_ok=True)  # logging pickled bob's model; nothing unpickled it yet
    return {
        "registered": "models:/team-model/1",
        "logged": touching.model_uri,
        "run": f"runs:/{run.info.run_id}/touching",
        "sklearn": "models:/team-sk/1",
        "sklearn_logged": pickled.model_uri,
        "skops": "models:/team-skops/1",
        "skops_logged": skops.model_uri,
    }


def _refused(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(PickleRefused) as refused:
        call(*args, **kwargs)
    message = str(refused.value)
    assert "allow_pickle=True" in message and "RUNWELL_ALLOW_PICKLE=1" in message, message
    assert "--allow-pickle" in message
    return message


def test_alice_cannot_unpickle_bobs_registered_model_without_opting_in(
    bobs_models: dict[str, str], shared_server: str, marker: Path
) -> None:
    for key in ("registered", "logged", "run"):
        message = _refused(runwell.pyfunc.load_model, bobs_models[key])
        assert shared_server in message, message  # names where the model came from
    for key in ("sklearn", "sklearn_logged"):
        _refused(runwell.pyfunc.load_model, bobs_models[key])
        _refused(runwell.sklearn.load_model, bobs_models[key])
    assert not marker.exists()  # nothing of bob's ran

    model = runwell.pyfunc.load_model(bobs_models["registered"], allow_pickle=True)
    assert marker.exists()  # her opt-in: bob's code ran
    assert model.predict(X) == [7, 7, 7, 7]
    estimator = runwell.sklearn.load_model(bobs_models["sklearn"], allow_pickle=True)
    assert estimator.predict(X).tolist() == LogisticRegression().fit(X, Y).predict(X).tolist()


def test_the_environment_variable_opts_in_and_false_refuses_everywhere(
    bobs_models: dict[str, str], marker: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RUNWELL_ALLOW_PICKLE", "1")
    assert runwell.pyfunc.load_model(bobs_models["registered"]).predict(X) == [7, 7, 7, 7]
    marker.unlink()
    _refused(runwell.pyfunc.load_model, bobs_models["registered"], allow_pickle=False)
    assert not marker.exists()
    monkeypatch.delenv("RUNWELL_ALLOW_PICKLE")
    local = tmp_path / "mine"
    runwell.pyfunc.save_model(local, python_model=Touching(str(marker)))
    message = _refused(runwell.pyfunc.load_model, str(local), allow_pickle=False)
    assert "allow_pickle=False" in message
    assert not marker.exists()


def test_a_skops_file_cannot_trust_its_own_types_for_alice(
    bobs_models: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doubled_type = f"{__name__}.doubled"
    for uri in (bobs_models["skops"], bobs_models["skops_logged"]):
        with pytest.raises(InvalidArgument) as refused:
            runwell.sklearn.load_model(uri)
        message = str(refused.value)
        assert doubled_type in message and "the file's own claim" in message, message
        assert "skops_trusted_types=" in message and "RUNWELL_SKOPS_TRUSTED_TYPES" in message
    expected = make_pipeline(FunctionTransformer(doubled), LogisticRegression()).fit(X, Y)
    wanted = expected.predict(X).tolist()
    # her own list, in the call or the environment, or an opt-in to the file's pickles
    given = runwell.sklearn.load_model(bobs_models["skops"], skops_trusted_types=[doubled_type])
    assert given.predict(X).tolist() == wanted
    opted = runwell.pyfunc.load_model(bobs_models["skops"], allow_pickle=True)
    assert opted.predict(X).tolist() == wanted
    monkeypatch.setenv("RUNWELL_SKOPS_TRUSTED_TYPES", f"numpy.int64, {doubled_type}")
    assert runwell.pyfunc.load_model(bobs_models["skops"]).predict(X).tolist() == wanted


def test_the_users_own_models_load_as_before(tmp_path: Path, marker: Path) -> None:
    """A path, and runs:/ or models:/ on the embedded SQLite store (the per-test default)."""
    path = tmp_path / "own"
    runwell.pyfunc.save_model(path, python_model=Touching(str(marker)))
    assert runwell.pyfunc.load_model(str(path)).predict(X) == [7, 7, 7, 7]
    assert runwell.pyfunc.load_model(path.as_uri()).predict(X) == [7, 7, 7, 7]
    custom = make_pipeline(FunctionTransformer(doubled), LogisticRegression()).fit(X, Y)
    with runwell.start_run() as run:
        info = runwell.pyfunc.log_model(
            name="m", python_model=Touching(str(marker)), registered_model_name="mine"
        )
        runwell.sklearn.log_model(
            LogisticRegression().fit(X, Y), name="pkl", serialization_format="pickle"
        )
        runwell.sklearn.log_model(custom, name="sk", skops_trusted_types=[f"{__name__}.doubled"])
    for uri in (info.model_uri, "models:/mine/1", f"runs:/{run.info.run_id}/m"):
        assert runwell.pyfunc.load_model(uri).predict(X) == [7, 7, 7, 7], uri
    assert runwell.sklearn.load_model(f"runs:/{run.info.run_id}/pkl").predict(X) is not None
    own_skops = runwell.sklearn.load_model(f"runs:/{run.info.run_id}/sk")
    assert own_skops.predict(X).tolist() == custom.predict(X).tolist()


def test_where_a_model_comes_from_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule on the stores and artifact roots this test does not start."""
    local = ModelLocation("x", repo=LocalArtifactRepo("/srv/artifacts"), path="")
    mine = "sqlite:////tmp/mine.db"
    assert trust.foreign_source("runs:/r/m", local, mine) is None
    assert trust.foreign_source("models:/m/1", local, mine) is None
    assert trust.foreign_source("./m", ModelLocation("./m", local_dir=Path("m"))) is None
    shared_db = trust.foreign_source("models:/m/1", local, "postgresql://db.team/runwell")
    assert shared_db == "the tracking store at postgresql://db.team/runwell"
    server = trust.foreign_source("runs:/r/m", local, "https://tracking.example.com")
    assert server == "the tracking store at https://tracking.example.com"
    proxied = uris.artifact_repo("mlflow-artifacts:/1/m", "http://127.0.0.1:1")
    remote = ModelLocation("x", repo=proxied, path="")
    assert trust.foreign_source("runs:/r/m", remote, mine) == "'mlflow-artifacts:/1/m'"
    monkeypatch.setenv("RUNWELL_REGISTRY_URI", "https://registry.example.com")
    registry = trust.foreign_source("models:/m/1", local, mine)
    assert registry == "the model registry at https://registry.example.com"
    assert trust.foreign_source("runs:/r/m", local, mine) is None  # runs are not in a registry
    assert trust.decide("s3://b/m", "'s3://b/m'").allow_pickle is False
    assert trust.decide("./m", None).allow_pickle is True
    assert trust.decide("./m", None, allow_pickle=False).allow_pickle is False
    assert trust.decide("s3://b/m", "'s3://b/m'", allow_pickle=True).allow_pickle is True


def test_runwell_models_serve_and_predict_need_the_flag_for_bobs_model(
    bobs_models: dict[str, str], shared_server: str, marker: Path, tmp_path: Path
) -> None:
    data = tmp_path / "in.csv"
    X.to_csv(data, index=False)
    runner = CliRunner()
    base = ["--tracking-uri", shared_server, "models"]
    for command in (["serve", "-p", "0"], ["predict", "-i", str(data)]):
        result = runner.invoke(main, [*base, *command, "-m", bobs_models["registered"]])
        assert result.exit_code == 1, result.output
        assert "--allow-pickle" in result.stderr and "RUNWELL_ALLOW_PICKLE=1" in result.stderr
    assert not marker.exists()
    predicted = runner.invoke(
        main, [*base, "predict", "-i", str(data), "-m", bobs_models["registered"], "--allow-pickle"]
    )
    assert predicted.exit_code == 0, predicted.stderr
    assert '"predictions": [7, 7, 7, 7]' in predicted.stdout.replace("\n", " ").replace("  ", " ")


@pytest.mark.slow
def test_a_server_started_with_allow_pickle_serves_bobs_model(
    bobs_models: dict[str, str], shared_server: str
) -> None:
    port = free_port()
    command = [RUNWELL, "--tracking-uri", shared_server, "models", "serve", "-p", str(port)]
    command += ["-m", bobs_models["registered"], "--allow-pickle"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # bob's class lives in tests/
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_ping(process, port, limit_s=120)
        body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 0.0]]}}
        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=30)
        assert answer.json() == {"predictions": [7]}
    finally:
        stop(process)
