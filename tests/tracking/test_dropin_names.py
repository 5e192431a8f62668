"""MLflow import paths runwell answers to: ``exceptions``, the active model, and the client's
logged-model artifact and output calls."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import runwell
from runwell.entities import LoggedModelStatus, ModelOutput
from runwell.errors import ErrorCode, InvalidArgument, NotFound, RunwellError, error_for_code
from runwell.exceptions import MlflowException, RestException
from runwell.scoring.errors import ScoringError
from tests.rest.backend import RestBackend

MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"


@pytest.fixture(params=["embedded", "rest"])
def any_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[runwell.RunwellClient]:
    if request.param == "embedded":
        yield runwell.RunwellClient()
        return
    backend: RestBackend = request.getfixturevalue("rest_backend")
    with backend.fresh_store(tmp_path):
        yield runwell.RunwellClient(backend.url)


# --- runwell.exceptions -------------------------------------------------------------------


def test_mlflow_exception_is_runwell_error_and_catches_what_runwell_raises() -> None:
    assert MlflowException is RunwellError is runwell.MlflowException
    assert runwell.exceptions.RestException is RestException  # as `mlflow.exceptions.X`
    with pytest.raises(MlflowException) as raised:
        runwell.RunwellClient().get_run("no-such-run")
    assert isinstance(raised.value, NotFound)
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert raised.value.get_http_status_code() == 404


def test_mlflow_exception_takes_error_code_by_name_enum_or_mlflow_number() -> None:
    by_name = MlflowException("bad", error_code="INVALID_PARAMETER_VALUE")
    by_enum = MlflowException("bad", error_code=ErrorCode.INVALID_PARAMETER_VALUE)
    by_number = MlflowException("bad", 1000)  # mlflow.protos...INVALID_PARAMETER_VALUE
    for error in (by_name, by_enum, by_number):
        assert (error.error_code, error.get_http_status_code()) == ("INVALID_PARAMETER_VALUE", 400)
    assert MlflowException("x").error_code == "INTERNAL_ERROR"
    assert MlflowException("x", error_code="NO_SUCH_CODE").error_code == "INTERNAL_ERROR"
    assert NotFound("gone").error_code == "RESOURCE_DOES_NOT_EXIST"  # old calls unchanged
    assert RunwellError("old", ErrorCode.PERMISSION_DENIED).http_status == 403
    with pytest.raises(TypeError, match="error_code must be"):
        MlflowException("x", error_code=1.5)  # type: ignore[arg-type]


def test_serialize_as_json_carries_code_message_and_extra_keywords() -> None:
    error = MlflowException.invalid_parameter_value("bad 'alpha'", field="alpha")
    assert error.json_kwargs == {"field": "alpha"}
    assert json.loads(error.serialize_as_json()) == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "bad 'alpha'",
        "field": "alpha",
    }
    assert type(InvalidArgument.invalid_parameter_value("m")) is InvalidArgument


def test_errors_keep_their_code_when_pickled() -> None:
    error = RunwellError("denied", ErrorCode.PERMISSION_DENIED, who="me")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.code, again.message, again.json_kwargs) == (
        RunwellError,
        ErrorCode.PERMISSION_DENIED,
        "denied",
        {"who": "me"},
    )
    # A subclass with its own __init__ and attributes (the scoring parser's worker processes
    # send these back pickled) comes back whole.
    refused = pickle.loads(pickle.dumps(ScoringError("too big", status=413, stack_trace="t")))
    assert (refused.get_http_status_code(), refused.stack_trace) == (413, "t")
    remote = pickle.loads(pickle.dumps(error_for_code("RESOURCE_DOES_NOT_EXIST", "no run")))
    assert isinstance(remote, NotFound) and isinstance(remote, RestException)
    assert remote.json == {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no run"}


def test_rest_exception_reads_an_error_envelope_as_mlflow_does() -> None:
    error = RestException({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no run"})
    assert (str(error), error.error_code, error.get_http_status_code()) == (
        "RESOURCE_DOES_NOT_EXIST: no run",
        "RESOURCE_DOES_NOT_EXIST",
        404,
    )
    assert RestException({"error_code": "503", "message": "x"}).error_code == (
        "TEMPORARILY_UNAVAILABLE"
    )
    assert RestException({"error_code": "??"}).error_code == "INTERNAL_ERROR"
    assert str(RestException({"oops": 1})) == "INTERNAL_ERROR: Response: {'oops': 1}"
    with pytest.raises(TypeError, match="JSON error object"):
        RestException("not a dict")  # type: ignore[arg-type]


def test_errors_from_a_server_are_rest_exceptions_and_their_specific_subclass(
    rest_backend: RestBackend, tmp_path: Path
) -> None:
    with rest_backend.fresh_store(tmp_path):
        client = runwell.RunwellClient(rest_backend.url)
        with pytest.raises(RestException) as raised:
            client.get_run("no-such-run")
        assert isinstance(raised.value, NotFound)
        assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(InvalidArgument) as bad:
            client.create_experiment("")
        assert isinstance(bad.value, RestException)
    local = pytest.raises(NotFound)
    with local as embedded:
        runwell.RunwellClient().get_run("no-such-run")
    assert not isinstance(embedded.value, RestException)


@pytest.mark.skipif(not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (mlflow 3.x)")
def test_error_codes_and_statuses_match_mlflow(tmp_path: Path) -> None:
    names = ["INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS"]
    names += ["PERMISSION_DENIED", "INVALID_STATE", "TEMPORARILY_UNAVAILABLE", "NOT_FOUND"]
    script = f"""
        import json
        from mlflow.exceptions import MlflowException, RestException
        from mlflow.protos import databricks_pb2 as pb
        out = []
        for name in {names!r}:
            e = MlflowException("m", error_code=getattr(pb, name))
            r = RestException({{"error_code": name, "message": "m"}})
            out.append([e.error_code, e.get_http_status_code(), str(r), r.error_code])
        print(json.dumps(out))
    """
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith(("RUNWELL_", "MLFLOW_"))},
    )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours = []
    for name in names:
        e = MlflowException("m", error_code=name)
        r = RestException({"error_code": name, "message": "m"})
        ours.append([e.error_code, e.get_http_status_code(), str(r), r.error_code])
    assert ours == theirs


# --- the active model ---------------------------------------------------------------------


def test_set_active_model_by_name_creates_it_once_then_finds_it() -> None:
    assert runwell.get_active_model_id() is None
    first = runwell.set_active_model(name="agent")
    assert runwell.get_active_model_id() == first.model_id
    created = runwell.get_logged_model(first.model_id)
    assert created.status is LoggedModelStatus.READY
    assert created.tags["mlflow.model.isExternal"] == "true"
    again = runwell.set_active_model(name="agent")
    assert again.model_id == first.model_id
    found = runwell.search_logged_models(filter_string="name = 'agent'", output_format="list")
    assert len(found) == 1


def test_set_active_model_as_a_block_restores_the_previous_one() -> None:
    outer = runwell.initialize_logged_model(name="outer")
    inner = runwell.initialize_logged_model(name="inner")
    runwell.set_active_model(model_id=outer.model_id)
    with runwell.set_active_model(model_id=inner.model_id, name="inner") as active:
        assert active.name == "inner"
        assert runwell.get_active_model_id() == inner.model_id
    assert runwell.get_active_model_id() == outer.model_id
    runwell.clear_active_model()
    assert runwell.get_active_model_id() is None


def test_active_model_id_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_MLFLOW_ACTIVE_MODEL_ID", "m-legacy")
    assert runwell.get_active_model_id() == "m-legacy"
    monkeypatch.setenv("MLFLOW_ACTIVE_MODEL_ID", "m-public")
    assert runwell.get_active_model_id() == "m-public"
    model = runwell.initialize_logged_model(name="chosen")
    runwell.set_active_model(model_id=model.model_id)
    assert runwell.get_active_model_id() == model.model_id  # the thread's choice wins
    runwell.clear_active_model()
    assert runwell.get_active_model_id() is None
    assert "MLFLOW_ACTIVE_MODEL_ID" not in os.environ


def test_set_active_model_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidArgument, match="name or a model_id"):
        runwell.set_active_model()
    with pytest.raises(InvalidArgument, match="Invalid name"):
        runwell.set_active_model(name="  ")
    with pytest.raises(InvalidArgument, match="Invalid model_id"):
        runwell.set_active_model(model_id=7)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="quote"):
        runwell.set_active_model(name="it's")
    model = runwell.initialize_logged_model(name="real")
    with pytest.raises(InvalidArgument, match="is named 'real', not 'other'"):
        runwell.set_active_model(model_id=model.model_id, name="other")
    with pytest.raises(NotFound):
        runwell.set_active_model(model_id="m-missing")
    assert runwell.get_active_model_id() is None


# --- logged-model artifacts and run outputs -----------------------------------------------


def test_model_artifacts_are_uploaded_and_listed(
    any_client: runwell.RunwellClient, tmp_path: Path
) -> None:
    client = any_client
    experiment_id = client.create_experiment("files")
    model = client.create_logged_model(experiment_id, name="m")
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01")
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "dir" / "sub" / "x.txt").write_text("x")
    client.log_model_artifact(model.model_id, str(tmp_path / "weights.bin"))
    client.log_model_artifact(model.model_id, str(tmp_path / "weights.bin"), "extra")
    client.log_model_artifacts(model.model_id, str(tmp_path / "dir"))
    top = client.list_logged_model_artifacts(model.model_id)
    assert sorted((f.path, f.is_dir) for f in top) == [
        ("MLmodel", False),
        ("extra", True),
        ("sub", True),
        ("weights.bin", False),
    ]
    assert [f.path for f in client.list_logged_model_artifacts(model.model_id, "sub")] == [
        "sub/x.txt"
    ]
    sizes = {f.path: f.file_size for f in top}
    assert sizes["weights.bin"] == 2


def test_model_artifact_calls_reject_bad_paths(
    any_client: runwell.RunwellClient, tmp_path: Path
) -> None:
    client = any_client
    model = client.create_logged_model(client.create_experiment("bad"), name="m")
    with pytest.raises(InvalidArgument, match="local_path"):
        client.log_model_artifact(model.model_id, str(tmp_path / "missing.bin"))
    with pytest.raises(InvalidArgument, match="local_dir"):
        client.log_model_artifacts(model.model_id, str(tmp_path / "missing"))
    (tmp_path / "f").write_text("x")
    with pytest.raises(InvalidArgument):
        client.log_model_artifact(model.model_id, str(tmp_path / "f"), "../escape")
    with pytest.raises(NotFound):
        client.list_logged_model_artifacts("m-missing")


def test_log_outputs_links_models_to_the_run(any_client: runwell.RunwellClient) -> None:
    client = any_client
    experiment_id = client.create_experiment("outputs")
    run_id = client.create_run(experiment_id).info.run_id
    first = client.create_logged_model(experiment_id, name="a")
    second = client.create_logged_model(experiment_id, name="b")

    class LoggedModelOutput:  # MLflow's entity: model_id and step attributes
        def __init__(self, model_id: str, step: int) -> None:
            self.model_id, self.step = model_id, step

    client.log_outputs(
        run_id, [ModelOutput(first.model_id, 1), LoggedModelOutput(second.model_id, 5)]
    )
    outputs = client.get_run(run_id).outputs
    assert outputs is not None
    assert sorted((o.model_id, o.step) for o in outputs.model_outputs) == sorted(
        [(first.model_id, 1), (second.model_id, 5)]
    )


def test_log_outputs_rejects_malformed_models(any_client: runwell.RunwellClient) -> None:
    client = any_client
    run_id = client.create_run(client.create_experiment("o")).info.run_id
    with pytest.raises(InvalidArgument, match="Invalid models:"):
        client.log_outputs(run_id, "m-1")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"models\[0\]: model_id"):
        client.log_outputs(run_id, [object()])  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match=r"models\[0\]: step"):
        client.log_outputs(run_id, [ModelOutput("m-1", "2")])  # type: ignore[arg-type]


def test_import_runwell_exports_the_active_model_calls_lightly() -> None:
    code = "import sys, runwell; print(runwell.get_active_model_id.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "runwell.tracking.active_model"
