"""Datasets: describing pandas and numpy data, and recording their use on runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import runwell
from runwell.errors import InvalidArgument


def test_from_pandas_digest_schema_and_profile() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": ["x", "y", "z"]})
    dataset = runwell.data.from_pandas(df, source="/data/wine.csv", name="wine", targets="a")
    assert dataset.name == "wine"
    assert len(dataset.digest) == 8
    assert dataset.digest == runwell.data.from_pandas(df.copy(), name="other").digest
    assert dataset.digest != runwell.data.from_pandas(df.head(2)).digest
    assert dataset.source_type == "local"
    assert json.loads(dataset.source) == {"uri": "/data/wine.csv"}
    assert dataset.schema is not None and dataset.profile is not None
    columns = json.loads(dataset.schema)["mlflow_colspec"]
    assert [(c["name"], c["type"]) for c in columns] == [
        ("a", "long"),
        ("b", "double"),
        ("c", "string"),
    ]
    assert json.loads(dataset.profile) == {"num_rows": 3, "num_elements": 9}
    with pytest.raises(InvalidArgument, match="Target column 'zz'"):
        runwell.data.from_pandas(df, targets="zz")
    with pytest.raises(InvalidArgument, match="DataFrame"):
        runwell.data.from_pandas([1, 2])


def test_from_numpy_records_shapes() -> None:
    features = np.arange(12, dtype=np.float64).reshape(4, 3)
    dataset = runwell.data.from_numpy(features, targets=np.arange(4), name="arr", source="s3://b/k")
    assert dataset.source_type == "s3"
    assert dataset.profile is not None
    profile = json.loads(dataset.profile)
    assert profile["features_shape"] == [4, 3] and profile["targets_shape"] == [4]


def test_log_input_records_the_dataset_with_its_context() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0]})
    with runwell.start_run() as run:
        runwell.log_input(
            runwell.data.from_pandas(df, name="train"), context="training", tags={"v": "1"}
        )
    inputs = runwell.get_run(run.info.run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["train"]
    assert {(t.key, t.value) for t in inputs[0].tags} == {
        ("v", "1"),
        ("mlflow.data.context", "training"),
    }
    found = runwell.search_runs(filter_string="dataset.context = 'training'")
    assert list(found["run_id"]) == [run.info.run_id]
    with runwell.start_run(), pytest.raises(InvalidArgument, match="Dataset"):
        runwell.log_input(df)
