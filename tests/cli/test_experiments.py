"""``runwell experiments``: create, list, rename, delete, restore."""

from __future__ import annotations

import json
from pathlib import Path

import runwell
from runwell.entities import LifecycleStage
from tests.cli.conftest import Invoke


def test_create_makes_the_experiment_with_tags_and_location(
    cli: Invoke, client: runwell.RunwellClient, tmp_path: Path
) -> None:
    location = (tmp_path / "elsewhere").as_uri()
    result = cli(
        "experiments", "create", "wine", "--tag", "team=vision", "--tag", "note=a=b",
        "--artifact-location", location,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    experiment = client.get_experiment_by_name("wine")
    assert experiment is not None
    assert result.stdout == f"Created experiment 'wine' with id {experiment.experiment_id}.\n"
    assert experiment.tag_dict == {"team": "vision", "note": "a=b"}
    assert experiment.artifact_location == location


def test_create_refuses_a_taken_name(cli: Invoke, client: runwell.RunwellClient) -> None:
    experiment_id = client.create_experiment("wine")
    result = cli("experiments", "create", "wine")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: experiment 'wine' already exists (id {experiment_id}, active); choose another "
        "name or see `runwell experiments list --view all`\n"
    )


def test_create_rejects_a_tag_without_equals(cli: Invoke) -> None:
    result = cli("experiments", "create", "wine", "--tag", "team")
    assert result.exit_code == 2
    assert "'team' is not KEY=VALUE" in result.stderr


def test_list_shows_a_table(cli: Invoke, client: runwell.RunwellClient) -> None:
    experiment_id = client.create_experiment("wine", tags={"team": "vision"})
    result = cli("experiments", "list")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "name", "stage", "created", "artifact", "location", "tags"]
    by_id = {row.split()[0]: row for row in rows}
    assert by_id[experiment_id].split()[:3] == [experiment_id, "wine", "active"]
    assert by_id[experiment_id].endswith("team=vision")
    assert by_id["0"].split()[:2] == ["0", "Default"]


def test_list_json_is_a_list_of_experiment_dicts(
    cli: Invoke, client: runwell.RunwellClient
) -> None:
    experiment_id = client.create_experiment("wine", tags={"team": "vision"})
    result = cli("experiments", "list", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    wine = next(e for e in data if e["name"] == "wine")
    assert wine["experiment_id"] == experiment_id
    assert wine["lifecycle_stage"] == "ACTIVE"
    assert isinstance(wine["creation_time"], int)
    assert wine["tags"] == [{"key": "team", "value": "vision"}]


def test_list_filters_orders_and_limits(cli: Invoke, client: runwell.RunwellClient) -> None:
    for name in ("b-wine", "a-wine", "beer"):
        client.create_experiment(name)

    result = cli(
        "experiments", "list", "--filter", "name LIKE '%wine'", "--order-by", "name ASC", "--json"
    )
    assert [e["name"] for e in json.loads(result.stdout)] == ["a-wine", "b-wine"]

    result = cli("experiments", "list", "--order-by", "name DESC", "--max-results", "2", "--json")
    assert [e["name"] for e in json.loads(result.stdout)] == ["beer", "b-wine"]


def test_list_reports_a_bad_filter(cli: Invoke) -> None:
    result = cli("experiments", "list", "--filter", "nme = 'x'")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Invalid attribute key 'nme'")


def test_list_views_deleted_experiments(cli: Invoke, client: runwell.RunwellClient) -> None:
    client.delete_experiment(client.create_experiment("gone"))
    client.create_experiment("kept")

    def names(view: str) -> set[str]:
        result = cli("experiments", "list", "--view", view, "--json")
        return {e["name"] for e in json.loads(result.stdout)}

    assert names("deleted") == {"gone"}
    assert names("active") == {"kept", "Default"}
    assert names("all") == {"gone", "kept", "Default"}
    assert cli("experiments", "list", "--view", "some").exit_code == 2


def test_list_says_how_to_start_when_nothing_matches(cli: Invoke) -> None:
    result = cli("experiments", "list", "--view", "deleted")
    assert result.exit_code == 0
    assert "runwell experiments create NAME" in result.stdout


def test_rename_renames(cli: Invoke, client: runwell.RunwellClient) -> None:
    experiment_id = client.create_experiment("wine")
    result = cli("experiments", "rename", experiment_id, "red-wine")
    assert result.exit_code == 0, result.stderr
    assert client.get_experiment(experiment_id).name == "red-wine"
    assert "from 'wine' to 'red-wine'" in result.stdout


def test_rename_refuses_a_taken_name(cli: Invoke, client: runwell.RunwellClient) -> None:
    experiment_id = client.create_experiment("wine")
    client.create_experiment("beer")
    result = cli("experiments", "rename", experiment_id, "beer")
    assert result.exit_code == 1
    assert "experiment 'beer' already exists" in result.stderr
    assert client.get_experiment(experiment_id).name == "wine"


def test_unknown_experiment_id_exits_3_and_says_where_to_look(cli: Invoke) -> None:
    for command in (["rename", "42", "x"], ["delete", "42"], ["restore", "42"]):
        result = cli("experiments", *command)
        assert result.exit_code == 3
        assert result.stderr == (
            "Error: no experiment with id '42'; see `runwell experiments list --view all`\n"
        )


def test_non_numeric_experiment_id_exits_1(cli: Invoke) -> None:
    result = cli("experiments", "delete", "wine")
    assert result.exit_code == 1
    assert "Invalid experiment ID 'wine'" in result.stderr


def test_delete_then_restore(cli: Invoke, client: runwell.RunwellClient) -> None:
    experiment_id = client.create_experiment("wine")

    result = cli("experiments", "delete", experiment_id)
    assert result.exit_code == 0, result.stderr
    assert f"`runwell experiments restore {experiment_id}`" in result.stdout
    assert client.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.DELETED

    result = cli("experiments", "restore", experiment_id)
    assert result.exit_code == 0, result.stderr
    assert client.get_experiment(experiment_id).lifecycle_stage is LifecycleStage.ACTIVE


def test_restore_of_an_active_experiment_leaves_its_deleted_runs_deleted(
    cli: Invoke, client: runwell.RunwellClient
) -> None:
    experiment_id = client.create_experiment("wine")
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_run(run_id)

    result = cli("experiments", "restore", experiment_id)

    assert result.exit_code == 0
    assert "is not deleted" in result.stdout
    assert client.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
