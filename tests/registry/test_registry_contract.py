"""RegistryStore contract on SQLite, PostgreSQL and MariaDB: models, versions, tags, aliases,
stages, search and paging, copy, and concurrent version numbering."""

from __future__ import annotations

import threading

import pytest

from runwell.entities.registry import (
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModelTag,
)
from runwell.errors import AlreadyExists, InvalidArgument, NotFound, RunwellError
from runwell.store.sql.registry import SqlRegistryStore
from tests.registry.conftest import Stores

S3 = "s3://bucket/model"


def test_create_get_rename_update_delete_registered_model(registry: SqlRegistryStore) -> None:
    created = registry.create_registered_model(
        "Reg Model.1", tags=[RegisteredModelTag(key="team", value="a")], description="first"
    )
    assert (created.name, created.description, created.tag_dict) == (
        "Reg Model.1",
        "first",
        {"team": "a"},
    )
    assert created.creation_timestamp == created.last_updated_timestamp > 0
    assert registry.get_registered_model("Reg Model.1") == created
    registry.create_model_version("Reg Model.1", S3)
    renamed = registry.rename_registered_model("Reg Model.1", "renamed")
    assert renamed.name == "renamed"
    assert registry.get_model_version("renamed", 1).name == "renamed"
    with pytest.raises(NotFound, match=r"name=Reg Model\.1 not found"):
        registry.get_registered_model("Reg Model.1")
    assert registry.update_registered_model("renamed", "second").description == "second"
    registry.delete_registered_model("renamed")
    with pytest.raises(NotFound):
        registry.get_registered_model("renamed")
    assert registry.search_model_versions().items == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("dup", "dup"), ("a b", "a%20b"), ("a%20b", "a b"), ("x y", "x%2520y")],
)
def test_duplicate_names_even_url_encoded_are_refused(
    registry: SqlRegistryStore, first: str, second: str
) -> None:
    registry.create_registered_model(first, tags=[RegisteredModelTag(key="k", value="v")])
    with pytest.raises(AlreadyExists, match="already exists") as raised:
        registry.create_registered_model(second, tags=[RegisteredModelTag(key="k2", value="v")])
    assert raised.value.code.name == "RESOURCE_ALREADY_EXISTS"
    assert [m.name for m in registry.search_registered_models()] == [first]
    assert registry.get_registered_model(first).tag_dict == {"k": "v"}


@pytest.mark.parametrize(
    "name", ["", "  ", "a/b", "a:b", "a%2Fb", "a%253Ab", "..", "../x", "a\x00b", "x" * 257]
)
def test_bad_names_are_refused(registry: SqlRegistryStore, name: str) -> None:
    with pytest.raises(InvalidArgument):
        registry.create_registered_model(name)
    assert registry.search_registered_models().items == []


def test_rename_onto_an_existing_name_changes_nothing(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("a")
    registry.create_registered_model("b")
    with pytest.raises(AlreadyExists):
        registry.rename_registered_model("a", "b")
    assert [m.name for m in registry.search_registered_models()] == ["a", "b"]


def test_versions_number_up_and_are_never_reused(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m")
    v1 = registry.create_model_version(
        "m", S3, tags=[ModelVersionTag(key="t", value="1")], description="d", run_link="http://x"
    )
    assert (v1.version, v1.status, v1.current_stage, v1.description) == (
        "1",
        ModelVersionStatus.READY,
        "None",
        "d",
    )
    assert (v1.tag_dict, v1.run_link, v1.source) == ({"t": "1"}, "http://x", S3)
    registry.create_model_version("m", S3)
    registry.delete_model_version("m", "2")
    assert registry.create_model_version("m", S3).version == "3"
    with pytest.raises(NotFound, match=r"name=m, version=2"):
        registry.get_model_version("m", 2)
    assert registry.update_model_version("m", 3, "new").description == "new"
    with pytest.raises(InvalidArgument, match="must be an integer"):
        registry.get_model_version("m", "abc")
    with pytest.raises(NotFound, match="name=nope not found"):
        registry.create_model_version("nope", S3)


def test_version_tags_and_model_tags(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m")
    registry.create_model_version("m", S3)
    registry.set_model_version_tag("m", 1, ModelVersionTag(key="k", value="1"))
    registry.set_model_version_tag("m", "1", ModelVersionTag(key="k", value="2"))
    assert registry.get_model_version("m", 1).tag_dict == {"k": "2"}
    registry.delete_model_version_tag("m", 1, "k")
    assert registry.get_model_version("m", 1).tag_dict == {}
    registry.set_registered_model_tag("m", RegisteredModelTag(key="x", value="y" * 100_000))
    with pytest.raises(InvalidArgument, match="maximum length"):
        registry.set_registered_model_tag("m", RegisteredModelTag(key="x", value="y" * 100_001))
    registry.delete_registered_model_tag("m", "x")
    assert registry.get_registered_model("m").tag_dict == {}


def test_aliases_move_and_follow_deletes(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m")
    for _ in range(3):
        registry.create_model_version("m", S3)
    registry.set_registered_model_alias("m", "champion", 1)
    registry.set_registered_model_alias("m", "champion", "2")
    registry.set_registered_model_alias("m", "other", 2)
    assert registry.get_model_version_by_alias("m", "champion").version == "2"
    assert registry.get_model_version("m", 2).aliases == ("champion", "other")
    assert registry.get_registered_model("m").alias_dict == {"champion": "2", "other": "2"}
    with pytest.raises(NotFound, match="version=9"):
        registry.set_registered_model_alias("m", "champion", 9)
    assert registry.get_model_version_by_alias("m", "champion").version == "2"
    for bad in ("latest", "LATEST", "v1", "V12", "a b", "a/b", ""):
        with pytest.raises(InvalidArgument):
            registry.set_registered_model_alias("m", bad, 1)
    registry.delete_registered_model_alias("m", "other")
    registry.delete_model_version("m", 2)
    with pytest.raises(InvalidArgument, match="alias champion not found"):
        registry.get_model_version_by_alias("m", "champion")
    assert registry.get_registered_model("m").aliases == {}


def test_stages_archive_and_latest_versions(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m")
    for _ in range(4):
        registry.create_model_version("m", S3)
    registry.transition_model_version_stage("m", 1, "production")
    registry.transition_model_version_stage("m", 2, "Staging")
    moved = registry.transition_model_version_stage("m", 3, "PRODUCTION", True)
    assert moved.current_stage == "Production"
    assert registry.get_model_version("m", 1).current_stage == "Archived"
    latest = {v.current_stage: v.version for v in registry.get_latest_versions("m")}
    assert latest == {"None": "4", "Staging": "2", "Production": "3", "Archived": "1"}
    assert [v.version for v in registry.get_latest_versions("m", ["production"])] == ["3"]
    assert {v.version for v in registry.get_registered_model("m").latest_versions} == {
        "1",
        "2",
        "3",
        "4",
    }
    with pytest.raises(InvalidArgument, match="Invalid Model Version stage"):
        registry.transition_model_version_stage("m", 4, "Prod")
    with pytest.raises(InvalidArgument, match="not an Active stage"):
        registry.transition_model_version_stage("m", 4, "Archived", True)
    with pytest.raises(InvalidArgument, match="Invalid Model Version stage"):
        registry.get_latest_versions("m", ["bogus"])
    assert registry.get_model_version("m", 4).current_stage == "None"


def test_search_registered_models_filter_order_and_pages(registry: SqlRegistryStore) -> None:
    for name in ("b-model", "a-model", "c-other", "Prompt"):
        registry.create_registered_model(name)
    registry.set_registered_model_tag("a-model", RegisteredModelTag(key="team", value="x"))
    registry.set_registered_model_tag(
        "Prompt", RegisteredModelTag(key="mlflow.prompt.is_prompt", value="true")
    )
    prompt_clause = "tag.`mlflow.prompt.is_prompt` != 'true'"

    def names(filter_string: str | None = None, **kwargs: object) -> list[str]:
        page = registry.search_registered_models(filter_string, **kwargs)  # type: ignore[arg-type]
        return [m.name for m in page]

    assert names() == ["Prompt", "a-model", "b-model", "c-other"]
    assert names(prompt_clause) == ["a-model", "b-model", "c-other"]
    assert names(f"name LIKE '%model' AND {prompt_clause}") == ["a-model", "b-model"]
    assert names("tag.`mlflow.prompt.is_prompt` = 'true'") == ["Prompt"]
    assert names("tags.`mlflow.prompt.is_prompt` = 'false'") == ["a-model", "b-model", "c-other"]
    assert names("tags.team = 'x'") == ["a-model"]
    assert names("name ILIKE 'PROMPT'") == ["Prompt"]
    assert names("name LIKE 'prompt'") == []
    assert names("name IN ('c-other', 'b-model')") == ["b-model", "c-other"]
    assert names(order_by=["name DESC"]) == ["c-other", "b-model", "a-model", "Prompt"]
    first = registry.search_registered_models(max_results=3)
    assert [m.name for m in first] == ["Prompt", "a-model", "b-model"] and first.token
    rest = registry.search_registered_models(max_results=3, page_token=first.token)
    assert [m.name for m in rest] == ["c-other"] and rest.token is None
    for bad in ("creation_timestamp > 1", "tags.x IS NULL", "name = 'a' OR name = 'b'"):
        with pytest.raises(InvalidArgument):
            registry.search_registered_models(bad)
    with pytest.raises(InvalidArgument):
        registry.search_registered_models(order_by=["creation_timestamp"])
    with pytest.raises(InvalidArgument):
        registry.search_registered_models(max_results=1001)
    with pytest.raises(InvalidArgument, match="page token"):
        registry.search_registered_models(page_token="!!")


def test_search_model_versions(stores: Stores) -> None:
    registry = stores.registry
    run_id = stores.run()
    registry.create_registered_model("m1")
    registry.create_registered_model("m2")
    registry.create_model_version("m1", S3, run_id=run_id)
    registry.create_model_version("m1", "s3://bucket/other")
    registry.create_model_version("m2", S3, tags=[ModelVersionTag(key="x", value="y")])

    def found(filter_string: str | None = None, **kwargs: object) -> list[tuple[str, str]]:
        page = registry.search_model_versions(filter_string, **kwargs)  # type: ignore[arg-type]
        return [(v.name, v.version) for v in page]

    assert found() == [("m2", "1"), ("m1", "2"), ("m1", "1")] or sorted(found()) == [
        ("m1", "1"),
        ("m1", "2"),
        ("m2", "1"),
    ]
    assert found("name='m1' and version_number > 1") == [("m1", "2")]
    assert found(f"run_id = '{run_id}'") == [("m1", "1")]
    assert found("source_path LIKE '%other'") == [("m1", "2")]
    assert found("tags.x = 'y'") == [("m2", "1")]
    assert found("name IN ('m2')") == [("m2", "1")]
    assert found(order_by=["name ASC", "version_number ASC"]) == [
        ("m1", "1"),
        ("m1", "2"),
        ("m2", "1"),
    ]
    page = registry.search_model_versions(max_results=2, order_by=["version_number DESC"])
    assert len(page) == 2 and page.token is not None
    for bad in ("current_stage = 'None'", "version_number = '1'", "tags.x IS NOT NULL"):
        with pytest.raises(InvalidArgument):
            registry.search_model_versions(bad)


def test_a_pending_logged_model_registers_but_a_failed_one_does_not(stores: Stores) -> None:
    # MLflow's log_model(registered_model_name=...) registers before it finalizes the model.
    registry = stores.registry
    exp_id = stores.tracking.create_experiment("uploads").experiment_id
    run_id = stores.tracking.create_run(exp_id, "u", 1).info.run_id
    registry.create_registered_model("m")
    pending = stores.tracking.create_logged_model(exp_id, name="pending", source_run_id=run_id)
    failed = stores.tracking.create_logged_model(exp_id, name="failed")
    stores.tracking.finalize_logged_model(failed.model_id, "FAILED")
    for given in (failed.model_id, None):
        with pytest.raises(InvalidArgument, match=f"'{failed.model_id}' is FAILED"):
            registry.create_model_version("m", f"models:/{failed.model_id}", model_id=given)
    assert not registry.get_registered_model("m").latest_versions
    version = registry.create_model_version("m", f"models:/{pending.model_id}")
    # The run comes from the logged model's source_run_id, as MLflow fills it.
    assert (version.version, version.model_id, version.run_id) == ("1", pending.model_id, run_id)


def test_lineage_and_download_uri(stores: Stores) -> None:
    registry = stores.registry
    exp_id = stores.tracking.create_experiment("lineage").experiment_id
    run_id = stores.tracking.create_run(exp_id, "u", 1).info.run_id
    logged = stores.tracking.create_logged_model(exp_id, name="model", source_run_id=run_id)
    stores.tracking.finalize_logged_model(logged.model_id, "READY")
    registry.create_registered_model("m")
    v1 = registry.create_model_version(
        "m", f"models:/{logged.model_id}", run_id=run_id, model_id=logged.model_id
    )
    assert (v1.run_id, v1.model_id) == (run_id, logged.model_id)
    assert registry.get_model_version_download_uri("m", 1) == logged.artifact_location
    inferred = registry.create_model_version("m", f"models:/{logged.model_id}")
    assert inferred.model_id == logged.model_id
    by_run = registry.create_model_version("m", f"runs:/{run_id}/model")
    assert by_run.run_id == run_id
    run_root = stores.tracking.get_run(run_id).info.artifact_uri.rstrip("/")
    assert registry.get_model_version_download_uri("m", 3) == f"{run_root}/model"
    copied = registry.copy_model_version("m", 1, "copy")
    assert (copied.name, copied.version, copied.source) == ("copy", "1", "models:/m/1")
    assert (copied.run_id, copied.model_id) == (run_id, logged.model_id)
    assert registry.get_model_version_download_uri("copy", 1) == logged.artifact_location
    # An admin-allowed source with a run this server does not know: recorded as given (MLflow).
    external = registry.create_model_version("m", S3, run_id="0" * 32)
    assert (external.run_id, external.source) == ("0" * 32, S3)
    with pytest.raises(NotFound):
        registry.copy_model_version("m", 9, "copy")
    assert len(registry.search_model_versions("name = 'copy'")) == 1


def test_concurrent_versions_get_distinct_consecutive_numbers(stores: Stores, db_url: str) -> None:
    stores.registry.create_registered_model("busy")
    workers = 8 if not db_url.startswith("sqlite") else 4
    per_worker = 5
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def register() -> None:
        store = SqlRegistryStore(db_url)
        try:
            for _ in range(per_worker):
                version = store.create_model_version("busy", S3).version
                with lock:
                    numbers.append(version)
        except RunwellError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = [str(n) for n in range(1, workers * per_worker + 1)]
    assert sorted(numbers, key=int) == expected
