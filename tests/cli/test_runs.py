"""``runwell runs``: list, describe, delete, restore, end."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

import runwell
from runwell.entities import DatasetInput, InputTag, LifecycleStage, RunStatus
from tests.cli.conftest import Invoke, MakeRun


def _ids(result_stdout: str) -> list[str]:
    return [run["info"]["run_id"] for run in json.loads(result_stdout)]


def test_list_shows_runs_with_latest_metrics_and_params(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    experiment_id = client.create_experiment("wine")
    run_id = make_run(
        experiment_id, "baseline", params={"C": "1.0"}, metrics={"loss": 0.1, "acc": 0.9}
    )
    result = cli("runs", "list", "--experiment-name", "wine")
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == [
        "run", "id", "name", "status", "started", "duration", "metrics", "params",
    ]  # fmt: skip
    assert row.startswith(f"{run_id}  baseline  FINISHED  ")
    assert row.endswith("acc=0.9 loss=0.1  C=1.0")


def test_list_without_experiments_covers_every_active_one(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    in_default = make_run("0", "a")
    in_wine = make_run(client.create_experiment("wine"), "b")
    client.delete_experiment(gone := client.create_experiment("gone"))
    assert gone
    result = cli("runs", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:3] == ["run", "id", "exp"]
    assert {in_default, in_wine} <= set(result.stdout.split())
    assert set(_ids(cli("runs", "list", "--json").stdout)) == {in_default, in_wine}


def test_list_takes_ids_and_names_together(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    wine, beer = client.create_experiment("wine"), client.create_experiment("beer")
    in_wine, in_beer = make_run(wine), make_run(beer)
    make_run("0")
    result = cli("runs", "list", "--experiment-id", wine, "--experiment-name", "beer", "--json")
    assert set(_ids(result.stdout)) == {in_wine, in_beer}


def test_list_json_uses_names_for_enums_and_ms_for_times(cli: Invoke, make_run: MakeRun) -> None:
    run_id = make_run(params={"C": "1.0"}, metrics={"loss": 0.5})
    result = cli("runs", "list", "--experiment-id", "0", "--json")
    assert result.exit_code == 0, result.stderr
    [run] = json.loads(result.stdout)
    assert run["info"]["run_id"] == run_id
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["lifecycle_stage"] == "ACTIVE"
    assert isinstance(run["info"]["start_time"], int)
    assert run["data"]["params"] == [{"key": "C", "value": "1.0"}]
    assert run["data"]["metrics"][0] == {
        "key": "loss", "value": 0.5, "timestamp": 1_700_000_000_000, "step": 1,
    }  # fmt: skip


def test_list_filters_orders_and_limits(cli: Invoke, make_run: MakeRun) -> None:
    low = make_run(metrics={"loss": 0.1})
    mid = make_run(metrics={"loss": 0.5})
    high = make_run(metrics={"loss": 0.9})

    result = cli("runs", "list", "--filter", "metrics.loss < 0.6", "--json")
    assert set(_ids(result.stdout)) == {low, mid}

    result = cli("runs", "list", "--order-by", "metrics.loss DESC", "--json")
    assert _ids(result.stdout) == [high, mid, low]

    result = cli("runs", "list", "--order-by", "metrics.loss", "--max-results", "2", "--json")
    assert _ids(result.stdout) == [low, mid]


def test_list_reports_a_bad_filter(cli: Invoke, make_run: MakeRun) -> None:
    make_run()
    result = cli("runs", "list", "--filter", "metrics.loss >>> 1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert result.stdout == ""


def test_list_views_deleted_runs(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    kept, gone = make_run(), make_run()
    client.delete_run(gone)
    assert _ids(cli("runs", "list", "--json").stdout) == [kept]
    assert _ids(cli("runs", "list", "--view", "deleted", "--json").stdout) == [gone]
    assert set(_ids(cli("runs", "list", "--view", "all", "--json").stdout)) == {kept, gone}


def test_list_names_an_unknown_experiment_and_the_next_step(cli: Invoke) -> None:
    result = cli("runs", "list", "--experiment-name", "x")
    assert result.exit_code == 3
    assert result.stderr == "Error: no experiment named 'x'; see `runwell experiments list`\n"

    result = cli("runs", "list", "--experiment-id", "77")
    assert result.exit_code == 3
    assert "no experiment with id '77'" in result.stderr


def test_list_with_no_runs_says_so(cli: Invoke) -> None:
    result = cli("runs", "list")
    assert result.exit_code == 0
    assert result.stdout.startswith("No runs match")


def test_list_cuts_long_cells_to_the_terminal_width(cli: Invoke, make_run: MakeRun) -> None:
    make_run(name="n", params={f"param_{i}": "x" * 20 for i in range(10)})
    result = cli("runs", "list", env={"COLUMNS": "120"})
    assert result.exit_code == 0
    row = result.stdout.splitlines()[1]
    assert len(row) == 120, row
    assert row.endswith("  param_0=" + "x" * 20 + " …")


def _describe_fixture(client: runwell.RunwellClient, make_run: MakeRun) -> str:
    run_id = make_run(
        client.create_experiment("wine"),
        "baseline",
        params={"C": "1.0"},
        metrics={"acc": 0.9},
    )
    client.set_tag(run_id, "team", "vision")
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    dataset = runwell.data.from_pandas(frame, name="toy")
    context = InputTag(key="mlflow.data.context", value="training")
    client.log_inputs(run_id, [DatasetInput(dataset=dataset, tags=(context,))])
    client.log_text(run_id, "hello", "notes/readme.txt")
    client.log_text(run_id, "a,b", "data.csv")
    return run_id


def test_describe_shows_every_section(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = _describe_fixture(client, make_run)
    result = cli("runs", "describe", run_id)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"Run {run_id} 'baseline'\n")
    for expected in (
        "experiment    1 'wine'",
        "status        FINISHED",
        "\nParams\n  C  1.0\n",
        "\nMetrics\n  acc  0.9  (step 1)\n",
        "  team            vision",
        "\nInputs\n  toy  digest ",
        "context=training",
        "\nArtifacts\n  data.csv  3 B\n  notes/\n",
    ):
        assert expected in text


def test_describe_json_adds_artifacts_to_the_run(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = _describe_fixture(client, make_run)
    result = cli("runs", "describe", run_id, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["info"]["run_id"] == run_id
    assert data["info"]["status"] == "FINISHED"
    assert {"key": "team", "value": "vision"} in data["data"]["tags"]
    [used] = data["inputs"]["dataset_inputs"]
    assert used["dataset"]["name"] == "toy"
    assert used["tags"] == [{"key": "mlflow.data.context", "value": "training"}]
    assert data["artifacts"] == [
        {"path": "data.csv", "is_dir": False, "file_size": 3},
        {"path": "notes", "is_dir": True, "file_size": None},
    ]


def test_describe_names_an_unknown_run(cli: Invoke) -> None:
    result = cli("runs", "describe", "0123456789abcdef0123456789abcdef")
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: no run with id '0123456789abcdef0123456789abcdef'; see `runwell runs list`\n"
    )


def test_delete_then_restore(cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun) -> None:
    run_id = make_run()
    result = cli("runs", "delete", run_id)
    assert result.exit_code == 0, result.stderr
    assert f"`runwell runs restore {run_id}`" in result.stdout
    assert client.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED

    result = cli("runs", "restore", run_id)
    assert result.exit_code == 0, result.stderr
    assert client.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE


def test_delete_and_restore_name_an_unknown_run(cli: Invoke) -> None:
    for command in ("delete", "restore", "end"):
        result = cli("runs", command, "deadbeef")
        assert result.exit_code == 3
        assert "no run with id 'deadbeef'" in result.stderr


def test_end_closes_a_run_left_running_as_killed(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = make_run(status=None)
    assert client.get_run(run_id).info.status is RunStatus.RUNNING
    result = cli("runs", "end", run_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Ended run {run_id} as KILLED.\n"
    info = client.get_run(run_id).info
    assert info.status is RunStatus.KILLED
    assert info.end_time is not None


def test_end_takes_a_status_in_any_case(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = make_run(status=None)
    assert cli("runs", "end", run_id, "--status", "failed").exit_code == 0
    assert client.get_run(run_id).info.status is RunStatus.FAILED
    assert cli("runs", "end", make_run(status=None), "--status", "RUNNING").exit_code == 2


def test_end_refuses_a_run_that_already_ended(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = make_run(status="FINISHED")
    before = client.get_run(run_id).info
    result = cli("runs", "end", run_id)
    assert result.exit_code == 1
    assert f"Error: run {run_id} already ended as FINISHED" in result.stderr
    assert client.get_run(run_id).info == before
