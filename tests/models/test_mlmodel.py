"""The MLmodel file and model URIs: fields, unknown keys, bad files and bad URIs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

import runwell
import runwell.pyfunc
import runwell.sklearn
from runwell.entities import LoggedModelStatus
from runwell.errors import InvalidArgument, NotFound
from runwell.models import Model, ModelSignature, infer_signature

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1, 0, 1, 0]})
Y = [0, 1, 0, 1]


def _mlmodel(tmp_path: Path, fields: Mapping[str, Any]) -> Path:
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "MLmodel").write_text(yaml.safe_dump(fields))
    return directory


def test_unknown_fields_are_kept_on_round_trip(tmp_path: Path) -> None:
    fields = {
        "flavors": {"python_function": {"loader_module": "x"}},
        "mlflow_version": "3.17.2",
        "model_uuid": "abc",
        "model_id": None,
        "utc_time_created": "2026-11-22 09:54:06.931180",
        "future_field": {"nested": [1, 2]},
        "metadata": {"owner": "me"},
        "env_vars": ["TOKEN"],
    }
    directory = _mlmodel(tmp_path, fields)
    model = Model.load(directory)
    assert model.extra == {"future_field": {"nested": [1, 2]}}
    assert model.metadata == {"owner": "me"} and model.env_vars == ["TOKEN"]
    model.save(directory)
    again = yaml.safe_load((directory / "MLmodel").read_text())
    assert again["future_field"] == {"nested": [1, 2]}
    assert again["mlflow_version"] == "3.17.2" and "runwell_version" not in again


def test_signature_round_trips_through_the_file(tmp_path: Path) -> None:
    model = Model(flavors={"f": {}}, signature=infer_signature(X, params={"k": 1}))
    model.add_flavor("python_function", loader_module="m")
    model.save(tmp_path / "MLmodel")
    text = (tmp_path / "MLmodel").read_text()
    assert '\'[{"type": "double", "name": "a"' in text
    loaded = Model.load(tmp_path)
    assert loaded.signature == model.signature
    assert loaded.get_params_schema() is not None
    assert list(loaded.flavors) == ["f", "python_function"]
    assert isinstance(loaded.signature, ModelSignature)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"model_uuid": "x"}, "'flavors' field is missing"),
        ({"flavors": {}}, "'flavors' field is missing"),
        ({"flavors": {"f": "text"}}, "flavor 'f' must be a mapping"),
        ({"flavors": {"f": {}}, "signature": {"inputs": "[1]"}}, "schema entry"),
    ],
)
def test_bad_mlmodel_fields_are_named(
    tmp_path: Path, fields: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidArgument, match=fragment):
        Model.load(_mlmodel(tmp_path, fields))


def test_mlmodel_that_is_not_yaml(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors: [unclosed")
    with pytest.raises(InvalidArgument, match="not YAML"):
        Model.load(tmp_path)


def test_missing_model_directory_and_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        runwell.pyfunc.load_model(str(tmp_path / "nowhere"))
    with pytest.raises(NotFound, match="No MLmodel file"):
        Model.load(tmp_path)


def test_model_without_pyfunc_flavor_is_refused_by_pyfunc(tmp_path: Path) -> None:
    directory = _mlmodel(tmp_path, {"flavors": {"keras": {}}})
    with pytest.raises(InvalidArgument, match="no python_function flavor"):
        runwell.pyfunc.load_model(str(directory))


def test_unsupported_mlflow_loader_is_named(tmp_path: Path) -> None:
    directory = _mlmodel(
        tmp_path, {"flavors": {"python_function": {"loader_module": "mlflow.keras"}}}
    )
    with pytest.raises(InvalidArgument, match=r"mlflow\.keras"):
        runwell.pyfunc.load_model(str(directory))


@pytest.mark.parametrize(
    ("uri", "error", "fragment"),
    [
        ("models:/wine/1", NotFound, r"name=wine, version=1"),
        ("models:/wine@champion", NotFound, "name=wine"),
        ("models:/a/b/c", InvalidArgument, "Not a proper models:/ URI"),
        ("models:/m-0123456789abcdef0123456789abcdef", NotFound, "m-0123"),
        ("runs:/", InvalidArgument, "runs:/<run_id>"),
        ("runs:/0123456789abcdef/model", NotFound, "0123456789abcdef"),
        ("gopher://host/model", InvalidArgument, "Unsupported artifact URI"),
        ("", InvalidArgument, "non-empty"),
    ],
)
def test_bad_model_uris(uri: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        runwell.pyfunc.load_model(uri)


def test_log_model_creates_a_logged_model_linked_to_the_run() -> None:
    clf = LogisticRegression().fit(X, Y)
    with runwell.start_run() as run:
        info = runwell.sklearn.log_model(clf, name="clf", input_example=X[:2])
    model_id = info.model_id
    assert model_id is not None and model_id.startswith("m-")
    assert info.model_uri == f"models:/{model_id}" and info.run_id == run.info.run_id
    store = runwell.RunwellClient().store
    logged = store.get_logged_model(model_id)
    assert logged.status == LoggedModelStatus.READY and logged.name == "clf"
    assert logged.source_run_id == run.info.run_id
    assert info.artifact_path == logged.artifact_location
    outputs = runwell.get_run(run.info.run_id).outputs
    assert [m.model_id for m in outputs.model_outputs] == [model_id]
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/clf", logged.artifact_location):
        loaded = runwell.pyfunc.load_model(uri)
        assert loaded.predict(X).tolist() == clf.predict(X).tolist()
        meta = loaded.metadata
        assert meta.model_id == model_id and meta.model_uuid == model_id
        assert meta.run_id == run.info.run_id
        assert meta.artifact_path == logged.artifact_location
    assert Model.load(info.model_uri).model_id == model_id


def test_failed_log_model_is_never_ready() -> None:
    with runwell.start_run() as run, pytest.raises(InvalidArgument):
        runwell.pyfunc.log_model(
            name="bad", python_model=runwell.pyfunc.PythonModel(), artifacts={"x": "/no/such"}
        )
    store = runwell.RunwellClient().store
    page = store.search_logged_models([run.info.experiment_id])
    assert [m.status for m in page.items] == [LoggedModelStatus.FAILED]


def test_packages_export_sorted_names_and_import_light() -> None:
    import subprocess
    import sys

    import runwell.models

    for module in (runwell.models, runwell.pyfunc, runwell.sklearn):
        assert module.__all__ == sorted(module.__all__)
    code = (
        "import sys, runwell.models, runwell.pyfunc, runwell.sklearn; "
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'mlflow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
