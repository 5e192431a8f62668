"""The table renderer and the JSON conversion of entities."""

from __future__ import annotations

import pytest

from runwell.cli import _render
from runwell.entities import Experiment, ExperimentTag, FileInfo, LifecycleStage


def test_table_aligns_columns() -> None:
    text = _render.render_table(["id", "name"], [["1", "wine"], ["22", "beer-and-more"]])
    assert text.splitlines() == ["id  name", "1   wine", "22  beer-and-more"]


def test_table_cuts_the_widest_shrinkable_column_with_an_ellipsis() -> None:
    rows = [["abcdef", "x" * 30, "y" * 12]]
    text = _render.render_table(["id", "long", "mid"], rows, shrink={"long", "mid"}, width=40)
    header, row = text.splitlines()
    assert len(row) == 40
    assert row.startswith("abcdef  ")
    assert row.split()[1] == "x" * 17 + "…"
    assert row.split()[2] == "y" * 12
    assert header.split() == ["id", "long", "mid"]


def test_table_keeps_fixed_columns_whole_when_it_cannot_fit() -> None:
    rows = [["0123456789abcdef", "a long name"]]
    text = _render.render_table(["run id", "name"], rows, shrink={"name"}, width=10)
    assert text.splitlines()[1] == "0123456789abcdef  a long …"


def test_table_without_a_width_limit_cuts_nothing() -> None:
    text = _render.render_table(["k"], [["v" * 500]])
    assert text.splitlines()[1] == "v" * 500


def test_table_flattens_newlines_in_cells() -> None:
    assert _render.render_table(["k"], [["a\nb"]], width=80).splitlines()[1] == "a b"


def test_to_data_turns_entities_into_json_ready_data() -> None:
    experiment = Experiment(
        experiment_id="3",
        name="wine",
        artifact_location="file:///a",
        lifecycle_stage=LifecycleStage.DELETED,
        creation_time=5,
        tag_list=(ExperimentTag(key="k", value="v"),),
    )
    assert _render.to_data([experiment, FileInfo(path="p", is_dir=True)]) == [
        {
            "experiment_id": "3",
            "name": "wine",
            "artifact_location": "file:///a",
            "lifecycle_stage": "DELETED",
            "creation_time": 5,
            "last_update_time": None,
            "tags": [{"key": "k", "value": "v"}],
        },
        {"path": "p", "is_dir": True, "file_size": None},
    ]


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (0, 1_500, "1.5s"),
        (0, 65_000, "1m 05s"),
        (0, 2 * 3_600_000 + 3 * 60_000, "2h 03m"),
        (0, 26 * 3_600_000, "1d 02h"),
        (None, None, "-"),
    ],
)
def test_duration_uses_two_units(start: int | None, end: int | None, text: str) -> None:
    assert _render.duration(start, end) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "-"), (0, "0 B"), (999, "999 B"), (15_400, "15.4 kB"), (3_200_000_000, "3.2 GB")],
)
def test_size_is_for_people(size: int | None, text: str) -> None:
    assert _render.size(size) == text


def test_pairs_are_sorted_by_key() -> None:
    assert _render.pairs({"loss": "0.1", "acc": "0.9"}) == "acc=0.9 loss=0.1"
