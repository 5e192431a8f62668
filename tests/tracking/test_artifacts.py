"""Artifacts: logging files and in-memory objects, listing, downloading and loading back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import runwell
from runwell.errors import InvalidArgument, NotFound


def test_log_artifact_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"\x00" * 10)
    (tmp_path / "model" / "sub").mkdir()
    (tmp_path / "model" / "sub" / "c.txt").write_text("c")
    (tmp_path / "notes.txt").write_text("hello")
    with runwell.start_run() as run:
        runwell.log_artifact("notes.txt")
        runwell.log_artifact("notes.txt", artifact_path="docs/v1")
        runwell.log_artifacts("model", artifact_path="model")
        runwell.log_artifact("model", artifact_path="copy")  # a directory keeps its name
    run_id = run.info.run_id
    listing = {
        (f.path, f.is_dir, f.file_size) for f in runwell.artifacts.list_artifacts(run_id=run_id)
    }
    assert listing == {
        ("copy", True, None),
        ("docs", True, None),
        ("model", True, None),
        ("notes.txt", False, 5),
    }
    nested = runwell.artifacts.list_artifacts(run_id=run_id, artifact_path="model")
    assert [(f.path, f.file_size) for f in nested] == [
        ("model/sub", None),
        ("model/weights.bin", 10),
    ]
    copied = runwell.artifacts.list_artifacts(run_id=run_id, artifact_path="copy/model")
    assert [f.path for f in copied] == ["copy/model/sub", "copy/model/weights.bin"]
    dst = runwell.artifacts.download_artifacts(
        run_id=run_id, artifact_path="model", dst_path=str(tmp_path / "dl")
    )
    assert (Path(dst) / "sub" / "c.txt").read_text() == "c"
    uri_dst = runwell.artifacts.download_artifacts(
        f"runs:/{run_id}/docs/v1/notes.txt", dst_path=str(tmp_path / "dl2")
    )
    assert Path(uri_dst).read_text() == "hello"


def test_log_text_dict_table_and_load_back() -> None:
    with runwell.start_run() as run:
        runwell.log_text("some text", "out/readme.md")
        runwell.log_dict({"a": [1, 2]}, "config.json")
        runwell.log_dict({"b": {"c": 1}}, "config.yaml")
        runwell.log_table({"x": [1, 2], "y": ["a", "b"]}, "table.json")
    base = f"runs:/{run.info.run_id}"
    assert runwell.artifacts.load_text(f"{base}/out/readme.md") == "some text"
    assert runwell.artifacts.load_dict(f"{base}/config.json") == {"a": [1, 2]}
    assert runwell.artifacts.load_dict(f"{base}/config.yaml") == {"b": {"c": 1}}
    table = runwell.artifacts.load_dict(f"{base}/table.json")
    assert table == {"columns": ["x", "y"], "data": [[1, "a"], [2, "b"]]}
    tags = runwell.get_run(run.info.run_id).data.tag_dict
    assert json.loads(tags["mlflow.loggedArtifacts"]) == [{"path": "table.json", "type": "table"}]


def test_log_figure_and_image_round_trip() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[0, 0] = [255, 0, 0]
    with runwell.start_run() as run:
        runwell.log_figure(figure, "plots/line.png")
        runwell.log_image(pixels, "image.png")
        runwell.log_image(np.ones((2, 2)), key="mask", step=3)
    plt.close(figure)
    base = f"runs:/{run.info.run_id}"
    image = runwell.artifacts.load_image(f"{base}/image.png")
    assert image.size == (6, 4) and image.getpixel((0, 0)) == (255, 0, 0)
    assert runwell.artifacts.load_image(f"{base}/plots/line.png").size[0] > 100
    masks = runwell.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="images/mask")
    assert len(masks) == 1 and masks[0].path.startswith("images/mask/step_3_")
    with pytest.raises(InvalidArgument, match="shape"):
        runwell.log_image(np.zeros((2, 2, 5)), "bad.png", run_id=run.info.run_id)
    with pytest.raises(InvalidArgument, match=r"\[0, 1\]"):
        runwell.log_image(np.full((2, 2), 3.0), "bad.png", run_id=run.info.run_id)


@pytest.mark.parametrize("path", ["../escape", "a/../../b", "/abs", "a\\b", "C:/x", "a#frag"])
def test_artifact_paths_cannot_escape_the_run(tmp_path: Path, path: str) -> None:
    (tmp_path / "f.txt").write_text("x")
    with runwell.start_run(), pytest.raises(InvalidArgument):
        runwell.log_artifact("f.txt", artifact_path=path)
    with runwell.start_run(), pytest.raises(InvalidArgument):
        runwell.log_text("x", path + "/f.txt")


def test_missing_files_and_artifacts_are_reported() -> None:
    with runwell.start_run() as run:
        with pytest.raises(NotFound, match=r"nope\.txt"):
            runwell.log_artifact("nope.txt")
    with pytest.raises(NotFound):
        runwell.artifacts.load_text(f"runs:/{run.info.run_id}/missing.txt")
    with pytest.raises(InvalidArgument, match="exactly one"):
        runwell.artifacts.list_artifacts()
    with pytest.raises(InvalidArgument, match="runs:/"):
        runwell.artifacts.load_text("runs:/")


def test_get_artifact_uri() -> None:
    with runwell.start_run() as run:
        assert runwell.get_artifact_uri() == run.info.artifact_uri
        assert runwell.get_artifact_uri("a/b.txt") == run.info.artifact_uri + "/a/b.txt"
