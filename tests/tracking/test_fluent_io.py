"""MLflow 3's fluent ``log_inputs`` / ``log_outputs``: several datasets and models at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import runwell
from runwell.entities import ModelOutput
from runwell.errors import InvalidArgument


@pytest.fixture
def store(tmp_path: Path) -> None:
    runwell.set_tracking_uri(f"sqlite:///{tmp_path / 'runwell.db'}")


def test_log_inputs_records_each_dataset_with_its_context_and_tags(store: None) -> None:
    train = runwell.data.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), name="train")
    evaluation = runwell.data.from_numpy(np.arange(4.0), name="eval")
    with runwell.start_run() as run:
        runwell.log_inputs(
            [train, None, evaluation],
            contexts=["training", None, "evaluation"],
            tags_list=[{"fold": "1"}, None, None],
        )
    inputs = runwell.get_run(run.info.run_id).inputs.dataset_inputs
    seen = {item.dataset.name: {tag.key: tag.value for tag in item.tags} for item in inputs}
    assert seen == {
        "train": {"fold": "1", "mlflow.data.context": "training"},
        "eval": {"mlflow.data.context": "evaluation"},
    }


def test_log_outputs_links_logged_models_to_the_run(store: None) -> None:
    with runwell.start_run() as run:
        model = runwell.initialize_logged_model(name="m")
        runwell.log_outputs([ModelOutput(model_id=model.model_id, step=3)])
    outputs = runwell.get_run(run.info.run_id).outputs
    assert outputs is not None
    assert [(o.model_id, o.step) for o in outputs.model_outputs] == [(model.model_id, 3)]


def test_misaligned_or_wrong_inputs_are_refused_naming_the_argument(store: None) -> None:
    train = runwell.data.from_pandas(pd.DataFrame({"x": [1]}), name="train")
    with runwell.start_run() as run:
        with pytest.raises(InvalidArgument, match=r"contexts: 2 entries for 1 datasets"):
            runwell.log_inputs([train], contexts=["a", "b"])
        with pytest.raises(InvalidArgument, match=r"datasets\[0\] of type str"):
            runwell.log_inputs(["not a dataset"])
        with pytest.raises(InvalidArgument, match=r"models\[0\]"):
            runwell.log_inputs([train], models=[object()])
        with pytest.raises(InvalidArgument, match=r"models\[0\]: model_id"):
            runwell.log_outputs([object()])
    assert runwell.get_run(run.info.run_id).inputs.dataset_inputs == ()


def test_log_stream_stores_the_bytes_of_a_binary_stream(store: None, tmp_path: Path) -> None:
    import io

    with runwell.start_run() as run:
        runwell.log_stream(io.BytesIO(b"\x00\x01payload"), "blobs/data.bin")
        with pytest.raises(InvalidArgument, match="binary file-like"):
            runwell.log_stream(io.StringIO("text"), "blobs/text.bin")
        with pytest.raises(InvalidArgument, match="binary file-like"):
            runwell.log_stream(b"raw bytes", "blobs/raw.bin")
    client = runwell.MlflowClient()
    local = client.download_artifacts(run.info.run_id, "blobs/data.bin", str(tmp_path))
    assert Path(local).read_bytes() == b"\x00\x01payload"
    assert [f.path for f in client.list_artifacts(run.info.run_id, "blobs")] == ["blobs/data.bin"]


def test_create_external_model_is_ready_tagged_and_linked_to_the_active_run(store: None) -> None:
    with runwell.start_run() as run:
        model = runwell.create_external_model(
            name="served-elsewhere", tags={"team": "a"}, params={"alpha": "0.1"}
        )
    found = runwell.get_logged_model(model.model_id)
    assert found.status.name == "READY"
    assert found.source_run_id == run.info.run_id
    assert found.tags == {"team": "a", "mlflow.model.isExternal": "true"}
    assert found.params == {"alpha": "0.1"}
    with pytest.raises(InvalidArgument, match="name"):
        runwell.create_external_model(name="a/b")
