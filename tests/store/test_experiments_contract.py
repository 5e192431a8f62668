"""TrackingStore contract, experiments: the same behaviour on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import pytest

from runwell.entities import ExperimentTag, LifecycleStage, RunTag, ViewType
from runwell.errors import AlreadyExists, InvalidArgument, NotFound
from runwell.store.sql.tracking import SqlTrackingStore


def test_default_experiment_exists_with_id_zero(store: SqlTrackingStore) -> None:
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage is LifecycleStage.ACTIVE
    assert default.artifact_location.endswith("/0")


def test_create_experiment_assigns_ids_location_and_tags(store: SqlTrackingStore) -> None:
    first = store.create_experiment("exp-a", tags=[ExperimentTag(key="team", value="vision")])
    second = store.create_experiment("exp-b", artifact_location="/data/custom")
    assert first.experiment_id == "1"
    assert second.experiment_id == "2"
    root = store.get_experiment("0").artifact_location.removesuffix("/0")
    assert first.artifact_location == f"{root}/1"
    assert second.artifact_location == "/data/custom"
    assert first.tag_dict == {"team": "vision"}
    assert first.creation_time is not None and first.creation_time > 0


def test_create_experiment_rejects_duplicate_name_even_when_deleted(
    store: SqlTrackingStore,
) -> None:
    exp = store.create_experiment("dup")
    store.delete_experiment(exp.experiment_id)
    with pytest.raises(AlreadyExists, match="dup"):
        store.create_experiment("dup")


@pytest.mark.parametrize("name", ["", "   ", "x" * 501])
def test_create_experiment_rejects_bad_names(store: SqlTrackingStore, name: str) -> None:
    with pytest.raises(InvalidArgument, match="name"):
        store.create_experiment(name)


def test_create_experiment_rejects_runs_uri_location(store: SqlTrackingStore) -> None:
    with pytest.raises(InvalidArgument, match="runs:/"):
        store.create_experiment("bad-loc", artifact_location="runs:/abc/x")


def test_get_experiment_unknown_and_malformed_ids(store: SqlTrackingStore) -> None:
    with pytest.raises(NotFound, match="No Experiment with id=42 exists"):
        store.get_experiment("42")
    with pytest.raises(InvalidArgument, match="must be a valid integer"):
        store.get_experiment("abc")


def test_find_experiment_by_name(store: SqlTrackingStore) -> None:
    exp = store.create_experiment("Findable Ünïcode")
    found = store.find_experiment_by_name("Findable Ünïcode")
    assert found is not None and found.experiment_id == exp.experiment_id
    assert store.find_experiment_by_name("findable ünïcode") is None


def test_rename_experiment_and_clash(store: SqlTrackingStore) -> None:
    a = store.create_experiment("a")
    store.create_experiment("b")
    store.rename_experiment(a.experiment_id, "a2")
    assert store.get_experiment(a.experiment_id).name == "a2"
    with pytest.raises(AlreadyExists):
        store.rename_experiment(a.experiment_id, "b")
    with pytest.raises(NotFound):
        store.rename_experiment("999", "zzz")


def test_delete_and_restore_experiment_cascades_to_runs(store: SqlTrackingStore) -> None:
    exp = store.create_experiment("cascade")
    run = store.create_run(exp.experiment_id, "u", 1)
    store.delete_experiment(exp.experiment_id)
    assert store.get_experiment(exp.experiment_id).lifecycle_stage is LifecycleStage.DELETED
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        store.create_run(exp.experiment_id, "u", 1)
    store.restore_experiment(exp.experiment_id)
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_experiment_tags_upsert_delete_and_limits(store: SqlTrackingStore) -> None:
    exp = store.create_experiment("tags")
    store.set_experiment_tag(exp.experiment_id, ExperimentTag(key="k", value="1"))
    store.set_experiment_tag(exp.experiment_id, ExperimentTag(key="k", value="2"))
    assert store.get_experiment(exp.experiment_id).tag_dict == {"k": "2"}
    store.delete_experiment_tag(exp.experiment_id, "k")
    assert store.get_experiment(exp.experiment_id).tag_dict == {}
    with pytest.raises(NotFound):
        store.delete_experiment_tag(exp.experiment_id, "k")
    with pytest.raises(InvalidArgument, match="20000"):
        store.set_experiment_tag(exp.experiment_id, ExperimentTag(key="k", value="v" * 20001))
    with pytest.raises(InvalidArgument, match=r"(?i)names may only contain"):
        store.set_experiment_tag(exp.experiment_id, ExperimentTag(key="bad$key", value="v"))


def test_search_experiments_filters_orders_and_pages(store: SqlTrackingStore) -> None:
    for i in range(5):
        exp = store.create_experiment(f"exp-{i}")
        store.set_experiment_tag(exp.experiment_id, ExperimentTag(key="i", value=str(i)))
    gone = store.create_experiment("gone")
    store.delete_experiment(gone.experiment_id)

    names = [e.name for e in store.search_experiments(order_by=["name ASC"])]
    assert names == ["Default", "exp-0", "exp-1", "exp-2", "exp-3", "exp-4"]
    assert [e.name for e in store.search_experiments(ViewType.DELETED_ONLY)] == ["gone"]
    assert len(store.search_experiments(ViewType.ALL).items) == 7

    like = store.search_experiments(filter_string="name LIKE 'exp-%'", order_by=["name DESC"])
    assert [e.name for e in like] == ["exp-4", "exp-3", "exp-2", "exp-1", "exp-0"]
    assert [e.name for e in store.search_experiments(filter_string="name ILIKE 'EXP-1'")] == [
        "exp-1"
    ]
    assert [e.name for e in store.search_experiments(filter_string="tags.i = '3'")] == ["exp-3"]
    no_tag = store.search_experiments(filter_string="tags.i IS NULL")
    assert [e.name for e in no_tag] == ["Default"]
    by_id = store.search_experiments(filter_string="experiment_id IN ('0', '2')")
    assert sorted(e.experiment_id for e in by_id) == ["0", "2"]

    page1 = store.search_experiments(max_results=2, order_by=["name"])
    assert len(page1) == 2 and page1.token is not None
    page2 = store.search_experiments(max_results=2, order_by=["name"], page_token=page1.token)
    page3 = store.search_experiments(max_results=2, order_by=["name"], page_token=page2.token)
    assert page3.token is None
    all_names = [e.name for p in (page1, page2, page3) for e in p]
    assert all_names == names


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("name = 'a' OR name = 'b'", "OR"),
        ("tags.k > 'a'", "Invalid comparator '>'"),
        ("name IN ('a')", "experiment_id"),
        ("lifecycle_stage = 'active'", "lifecycle_stage"),
    ],
)
def test_search_experiments_rejects_bad_filters(
    store: SqlTrackingStore, filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        store.search_experiments(filter_string=filter_string)


def test_search_experiments_rejects_bad_max_results_and_token(store: SqlTrackingStore) -> None:
    with pytest.raises(InvalidArgument, match="max_results"):
        store.search_experiments(max_results=50001)
    with pytest.raises(InvalidArgument, match="max_results"):
        store.search_experiments(max_results=0)
    with pytest.raises(InvalidArgument, match="page token"):
        store.search_experiments(page_token="%%%not-base64")


def test_run_tags_of_deleted_experiment_survive_restore(store: SqlTrackingStore) -> None:
    exp = store.create_experiment("keep")
    run = store.create_run(exp.experiment_id, "u", 5, [RunTag(key="t", value="v")])
    store.delete_experiment(exp.experiment_id)
    store.restore_experiment(exp.experiment_id)
    assert store.get_run(run.info.run_id).data.tag_dict["t"] == "v"


def test_restore_brings_back_only_runs_deleted_with_the_experiment(
    store: SqlTrackingStore,
) -> None:
    exp = store.create_experiment("selective").experiment_id
    kept = store.create_run(exp, "u", 1).info.run_id
    deleted_before = store.create_run(exp, "u", 2).info.run_id
    store.delete_run(deleted_before)
    store.delete_experiment(exp)
    store.delete_experiment(exp)  # a second delete changes nothing
    store.restore_experiment(exp)
    assert store.get_run(kept).info.lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(deleted_before).info.lifecycle_stage is LifecycleStage.DELETED
