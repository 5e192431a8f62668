"""runwell.scoring.batch: chunked reading, incremental writing, no partial outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import runwell.pyfunc
from runwell.errors import InvalidArgument, NotFound
from runwell.pyfunc import PyFuncModel
from runwell.scoring.batch import data_format, predict_file
from tests.models.model_builders import frame, save_logistic


@pytest.fixture
def model(tmp_path: Path) -> PyFuncModel:
    return runwell.pyfunc.load_model(str(save_logistic(tmp_path / "model")))


def test_csv_streams_in_chunks_and_matches_one_predict(model: PyFuncModel, tmp_path: Path) -> None:
    data = frame(95)
    data.to_csv(tmp_path / "in.csv", index=False)
    seen: list[int] = []
    result = predict_file(
        model,
        str(tmp_path / "in.csv"),
        str(tmp_path / "out.csv"),
        chunk_size=10,
        progress=lambda done, _total: seen.append(done),
    )
    assert (result.rows, result.chunks) == (95, 10)
    assert len(seen) == 10 and seen == sorted(seen)
    written = pd.read_csv(tmp_path / "out.csv")
    assert written.columns.tolist() == ["prediction"]
    assert written["prediction"].tolist() == model.predict(data).tolist()


def test_parquet_reads_record_batches_and_writes_row_groups(
    model: PyFuncModel, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    data = frame(40)
    data.to_parquet(tmp_path / "in.parquet")
    seen: list[int] = []
    result = predict_file(
        model,
        str(tmp_path / "in.parquet"),
        str(tmp_path / "out.parquet"),
        chunk_size=16,
        progress=lambda done, _total: seen.append(done),
    )
    assert result.chunks == 3 and seen == [16, 32, 40]
    out = pq.ParquetFile(tmp_path / "out.parquet")
    assert out.metadata.num_row_groups == 3
    assert out.read().to_pandas()["prediction"].tolist() == model.predict(data).tolist()


@pytest.mark.parametrize("orient", ["dataframe_split", "dataframe_records"])
def test_json_accepts_the_scoring_formats(model: PyFuncModel, tmp_path: Path, orient: str) -> None:
    data = frame(25)
    body: object = data.to_dict(orient="records")
    if orient == "dataframe_split":
        body = {"columns": data.columns.tolist(), "data": data.to_numpy().tolist()}
    (tmp_path / "in.json").write_text(json.dumps({orient: body}))
    predict_file(model, str(tmp_path / "in.json"), str(tmp_path / "out.json"), chunk_size=4)
    assert json.loads((tmp_path / "out.json").read_text()) == {
        "predictions": model.predict(data).tolist()
    }


def test_jsonl_streams_records(model: PyFuncModel, tmp_path: Path) -> None:
    data = frame(9)
    (tmp_path / "in.jsonl").write_text(data.to_json(orient="records", lines=True))
    result = predict_file(
        model, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), chunk_size=4
    )
    assert result.chunks == 3
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["prediction"] for line in lines] == model.predict(data).tolist()


def test_a_bad_value_in_a_later_chunk_leaves_no_output_file(
    model: PyFuncModel, tmp_path: Path
) -> None:
    rows = frame(30).astype(object)
    rows.loc[25, "a"] = "not a number"
    rows.to_csv(tmp_path / "in.csv", index=False)
    target = tmp_path / "out.csv"
    with pytest.raises(InvalidArgument, match=r"not a number.*expected columns a: float64"):
        predict_file(model, str(tmp_path / "in.csv"), str(target), chunk_size=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "model"]


def test_an_existing_output_survives_a_failed_prediction(
    model: PyFuncModel, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous results\n")
    frame(5).drop(columns=["a"]).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(InvalidArgument, match=r"\['a'\]"):
        predict_file(model, str(tmp_path / "in.csv"), str(target))
    assert target.read_text() == "previous results\n"


def test_missing_input_is_not_found(model: PyFuncModel, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        predict_file(model, str(tmp_path / "none.csv"), str(tmp_path / "out.csv"))


def test_unreadable_parquet_is_invalid(model: PyFuncModel, tmp_path: Path) -> None:
    (tmp_path / "in.parquet").write_text("a,b\n1,2\n")
    with pytest.raises(InvalidArgument, match="Parquet input cannot be read"):
        predict_file(model, str(tmp_path / "in.parquet"), str(tmp_path / "out.json"))
    assert not (tmp_path / "out.json").exists()


def test_output_directory_must_exist(model: PyFuncModel, tmp_path: Path) -> None:
    frame(3).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(NotFound, match="directory"):
        predict_file(model, str(tmp_path / "in.csv"), str(tmp_path / "no" / "out.csv"))


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("x.CSV", None, "csv"),
        ("x.pq", None, "parquet"),
        ("x.bin", "text/csv; charset=utf-8", "csv"),
        (None, None, "json"),
        (None, "application/vnd.apache.parquet", "parquet"),
    ],
)
def test_data_format_from_extension_or_content_type(
    path: str | None, content_type: str | None, expected: str
) -> None:
    assert data_format(path, content_type, "input") == expected


def test_data_format_names_what_it_accepts() -> None:
    with pytest.raises(InvalidArgument, match=r"'\.txt'.*--content-type"):
        data_format("scores.txt", None, "output")
    with pytest.raises(InvalidArgument, match="Unsupported content type 'image/png'"):
        data_format("x.csv", "image/png", "input")


def test_chunk_size_must_be_positive(model: PyFuncModel, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="chunk_size"):
        predict_file(model, None, None, chunk_size=0)
