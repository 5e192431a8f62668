"""``load_table`` and ``MlflowClient.load_table``: MLflow's way back from ``log_table``."""

from __future__ import annotations

import pandas as pd
import pytest

import runwell
from runwell.errors import InvalidArgument, NotFound


def _runs_with_tables() -> list[str]:
    runwell.set_experiment("tables")
    ids = []
    for index in range(3):
        with runwell.start_run() as run:
            if index < 2:
                runwell.log_table({"x": [index, index + 10], "name": ["a", "b"]}, "eval.json")
            runwell.log_table({"other": [1]}, "other.json")
            ids.append(run.info.run_id)
    return ids


def test_rows_of_every_run_that_logged_the_table() -> None:
    first, second, _third = _runs_with_tables()
    frame = runwell.load_table("eval.json", extra_columns=["run_id"])
    assert sorted(frame["x"]) == [0, 1, 10, 11]
    assert set(frame["run_id"]) == {first, second}
    assert list(frame.columns) == ["x", "name", "run_id"]
    only = runwell.load_table("eval.json", run_ids=[second])
    assert isinstance(only, pd.DataFrame)
    assert list(only["x"]) == [1, 11]


def test_the_client_reads_the_same_through_an_experiment_id() -> None:
    _runs_with_tables()
    client = runwell.MlflowClient()
    experiment = client.get_experiment_by_name("tables")
    assert experiment is not None
    frame = client.load_table(experiment.experiment_id, "other.json")
    assert list(frame["other"]) == [1, 1, 1]


def test_bad_requests_name_what_is_wrong() -> None:
    _runs_with_tables()
    with pytest.raises(NotFound, match="No runs of experiment"):
        runwell.load_table("missing.json")
    with pytest.raises(InvalidArgument, match=r"\.json"):
        runwell.load_table("eval.csv")
    with pytest.raises(InvalidArgument, match="extra column"):
        runwell.load_table("eval.json", extra_columns=["no_such_field"])


def test_model_version_stages_are_mlflows_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_ALLOWED_MODEL_SOURCES", "s3://bucket/")
    client = runwell.MlflowClient()
    client.create_registered_model("m")
    client.create_model_version("m", "s3://bucket/model")
    assert client.get_model_version_stages("m", "1") == [
        "None",
        "Staging",
        "Production",
        "Archived",
    ]
    with pytest.raises(NotFound):
        client.get_model_version_stages("m", "2")
