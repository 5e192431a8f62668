"""``runwell artifacts``: list, download, log-artifact."""

from __future__ import annotations

import json
from pathlib import Path

import runwell
from tests.cli.conftest import Invoke, MakeRun


def _run_with_files(client: runwell.RunwellClient, make_run: MakeRun) -> str:
    run_id = make_run()
    client.log_text(run_id, "hello", "notes/readme.txt")
    client.log_text(run_id, "a,b", "data.csv")
    return run_id


def test_list_shows_path_type_and_size(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = _run_with_files(client, make_run)
    result = cli("artifacts", "list", "--run-id", run_id)
    assert result.exit_code == 0, result.stderr
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["path", "type", "size"],
        ["data.csv", "file", "3", "B"],
        ["notes/", "dir", "-"],
    ]


def test_list_json_under_a_path(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = _run_with_files(client, make_run)
    result = cli("artifacts", "list", "--run-id", run_id, "--path", "notes", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"path": "notes/readme.txt", "is_dir": False, "file_size": 5}
    ]


def test_list_of_an_empty_run_says_so(cli: Invoke, make_run: MakeRun) -> None:
    run_id = make_run()
    result = cli("artifacts", "list", "--run-id", run_id)
    assert result.exit_code == 0
    assert result.stdout == f"No artifacts in run {run_id}.\n"
    assert json.loads(cli("artifacts", "list", "--run-id", run_id, "--json").stdout) == []


def test_list_names_an_unknown_run(cli: Invoke) -> None:
    result = cli("artifacts", "list", "--run-id", "deadbeef")
    assert result.exit_code == 3
    assert "no run with id 'deadbeef'; see `runwell runs list`" in result.stderr


def test_list_rejects_a_path_outside_the_run(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = _run_with_files(client, make_run)
    result = cli("artifacts", "list", "--run-id", run_id, "--path", "../..")
    assert result.exit_code == 1
    assert "'..' segments are not allowed" in result.stderr


def test_download_a_file_by_run_and_path(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = _run_with_files(client, make_run)
    dst = tmp_path / "out"
    result = cli(
        "artifacts", "download", "--run-id", run_id, "--path", "notes/readme.txt",
        "--dst", str(dst),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    local = Path(result.stdout.strip())
    assert local == dst / "notes" / "readme.txt"
    assert local.read_text() == "hello"


def test_download_everything_into_a_temporary_directory(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun
) -> None:
    run_id = _run_with_files(client, make_run)
    result = cli("artifacts", "download", "--run-id", run_id)
    assert result.exit_code == 0, result.stderr
    local = Path(result.stdout.strip())
    assert (local / "data.csv").read_text() == "a,b"
    assert (local / "notes" / "readme.txt").read_text() == "hello"


def test_download_by_runs_uri(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = _run_with_files(client, make_run)
    result = cli(
        "artifacts", "download", "--artifact-uri", f"runs:/{run_id}/notes", "--dst", str(tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    assert (Path(result.stdout.strip()) / "readme.txt").read_text() == "hello"


def test_download_needs_exactly_one_source(cli: Invoke, make_run: MakeRun) -> None:
    run_id = make_run()
    neither = cli("artifacts", "download")
    assert neither.exit_code == 2
    assert "give either --run-id" in neither.stderr
    both = cli("artifacts", "download", "--run-id", run_id, "--artifact-uri", f"runs:/{run_id}")
    assert both.exit_code == 2
    path_with_uri = cli("artifacts", "download", "--artifact-uri", "runs:/x/y", "--path", "y")
    assert path_with_uri.exit_code == 2


def test_download_of_a_missing_artifact_exits_3(cli: Invoke, make_run: MakeRun) -> None:
    run_id = make_run()
    result = cli("artifacts", "download", "--run-id", run_id, "--path", "nope.txt")
    assert result.exit_code == 3
    assert "No artifact at 'nope.txt'" in result.stderr


def test_log_artifact_logs_a_file(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = make_run()
    source = tmp_path / "model.txt"
    source.write_text("weights")
    result = cli(
        "artifacts", "log-artifact", "--run-id", run_id, "--local-file", str(source),
        "--artifact-path", "model",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("/artifacts/model/model.txt")
    [info] = client.list_artifacts(run_id, "model")
    assert (info.path, info.file_size) == ("model/model.txt", 7)


def test_log_artifact_logs_a_directory_under_its_name(
    cli: Invoke, client: runwell.RunwellClient, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = make_run()
    source = tmp_path / "plots"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "a.png").write_bytes(b"png")
    result = cli("artifacts", "log-artifact", "--run-id", run_id, "--local-file", str(source))
    assert result.exit_code == 0, result.stderr
    assert [f.path for f in client.list_artifacts(run_id, "plots/sub")] == ["plots/sub/a.png"]


def test_log_artifact_needs_an_existing_file(
    cli: Invoke, make_run: MakeRun, tmp_path: Path
) -> None:
    run_id = make_run()
    missing = str(tmp_path / "missing.txt")
    result = cli("artifacts", "log-artifact", "--run-id", run_id, "--local-file", missing)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_log_artifact_names_an_unknown_run(cli: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("a")
    result = cli("artifacts", "log-artifact", "--run-id", "deadbeef", "--local-file", str(source))
    assert result.exit_code == 3
