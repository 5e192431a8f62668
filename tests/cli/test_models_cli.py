"""``runwell models``: serve, predict and describe, through CliRunner and the real executable."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import httpx
import pandas as pd
import pytest

import runwell.pyfunc
from tests.cli.conftest import Invoke
from tests.models.model_builders import (
    RUNWELL,
    frame,
    free_port,
    save_logistic,
    stop,
    wait_for_ping,
)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return save_logistic(tmp_path / "model")


def expected(model_dir: Path, data: pd.DataFrame) -> list[int]:
    return [int(v) for v in runwell.pyfunc.load_model(str(model_dir)).predict(data)]


# ------------------------------------------------------------------ serve


@pytest.mark.slow
def test_serve_answers_ping_and_invocations_on_a_loopback_port(model_dir: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [RUNWELL, "models", "serve", "-m", str(model_dir), "-p", str(port), "-h", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_ping(process, port, limit_s=60)
        body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 18.0], [19.0, 0.0]]}}
        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=10)
        assert answer.status_code == 200
        assert answer.json() == {"predictions": [0, 1]}
        bad = httpx.post(
            f"http://127.0.0.1:{port}/invocations",
            json={"dataframe_split": {"columns": ["a"], "data": [[1.0]]}},
            timeout=10,
        )
        assert bad.status_code == 400
        assert "b" in bad.json()["message"]
    finally:
        stop(process)


def test_serve_of_a_missing_model_exits_3_naming_it(cli: Invoke, tmp_path: Path) -> None:
    result = cli("models", "serve", "-m", str(tmp_path / "nope"), "-p", "0")
    assert result.exit_code == 3
    assert "nope" in result.stderr and "does not exist" in result.stderr


def test_serve_with_conda_and_no_conda_says_it_is_missing(
    cli: Invoke, model_dir: Path, tmp_path: Path
) -> None:
    env = {"PATH": str(tmp_path / "empty-bin"), "CONDA_EXE": ""}
    result = cli("models", "serve", "-m", str(model_dir), "--env-manager", "conda", env=env)
    assert result.exit_code == 1
    assert "conda executable" in result.stderr and "--env-manager virtualenv" in result.stderr


def test_serve_with_conda_runs_the_server_through_conda(model_dir: Path, tmp_path: Path) -> None:
    """A fake conda records its calls: env create from the model's conda.yaml, then run."""
    calls = tmp_path / "calls.jsonl"
    fake = tmp_path / "bin" / "conda"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f"python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \"$@\" >> {calls}\n"
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    env["RUNWELL_ENV_ROOT"] = str(tmp_path / "envs")
    env.pop("CONDA_EXE", None)
    port = str(free_port())
    done = subprocess.run(
        [RUNWELL, "models", "serve", "-m", str(model_dir), "-p", port, "--env-manager", "conda"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    assert [c[:2] for c in recorded] == [
        ["env", "create"],
        ["run", "--prefix"],
        ["run", "--no-capture-output"],
    ]
    create = recorded[0]
    conda_file = create[create.index("--file") + 1]
    assert create[create.index("--prefix") + 1].startswith(str(tmp_path / "envs"))
    assert conda_file.endswith("conda.yaml")
    serve = recorded[2]
    tail = serve[serve.index("-c") + 2 :]
    assert tail[:4] == ["models", "serve", "-m", str(model_dir)]
    assert tail[tail.index("-p") + 1] == port and "local" in tail
    # A second serve reuses the prepared environment: no new env create.
    again = subprocess.run(
        [RUNWELL, "models", "serve", "-m", str(model_dir), "--env-manager", "conda"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert "Reusing the conda environment" in again.stderr
    assert len(calls.read_text().splitlines()) == 4


# ------------------------------------------------------------------ predict


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet"])
def test_predict_writes_every_row_in_the_output_format(
    cli: Invoke, model_dir: Path, tmp_path: Path, suffix: str
) -> None:
    data = frame(50)
    source = tmp_path / f"in.{suffix}"
    if suffix == "csv":
        data.to_csv(source, index=False)
    elif suffix == "parquet":
        data.to_parquet(source)
    else:
        source.write_text(json.dumps({"dataframe_split": data.to_dict(orient="split")}))
    target = tmp_path / f"out.{suffix}"
    result = cli(
        "models",
        "predict",
        "-m",
        str(model_dir),
        "-i",
        str(source),
        "-o",
        str(target),
        "--chunk-size",
        "7",
    )
    assert result.exit_code == 0, result.stderr
    if suffix == "csv":
        got = pd.read_csv(target)["prediction"].tolist()
    elif suffix == "parquet":
        got = pd.read_parquet(target)["prediction"].tolist()
    else:
        got = json.loads(target.read_text())["predictions"]
    assert got == expected(model_dir, data)
    assert f"Wrote 50 predictions to {target}" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.slow
def test_predict_reads_stdin_and_writes_stdout(model_dir: Path) -> None:
    data = frame(12)
    done = subprocess.run(
        [RUNWELL, "models", "predict", "-m", str(model_dir), "-t", "text/csv"],
        input=data.to_csv(index=False).encode(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"predictions": expected(model_dir, data)}
    assert done.stderr == b""  # no progress bar and no chatter off a terminal


@pytest.mark.slow
def test_predict_shows_a_progress_bar_on_a_terminal(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    frame(30).to_parquet(source)
    leader, follower = pty.openpty()
    done = subprocess.run(
        [
            RUNWELL,
            "models",
            "predict",
            "-m",
            str(model_dir),
            "-i",
            str(source),
            "-o",
            str(tmp_path / "out.csv"),
            "--chunk-size",
            "10",
        ],
        stderr=follower,
        stdout=subprocess.PIPE,
        timeout=60,
    )
    os.close(follower)
    shown = b""
    try:
        while chunk := os.read(leader, 4096):
            shown += chunk
    except OSError:
        pass
    os.close(leader)
    assert done.returncode == 0
    assert b"Predicting (rows)" in shown and b"30/30" in shown


def test_predict_of_a_missing_input_exits_3_and_writes_nothing(
    cli: Invoke, model_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    result = cli("models", "predict", "-m", str(model_dir), "-i", "missing.csv", "-o", str(target))
    assert result.exit_code == 3
    assert "The input file 'missing.csv' does not exist" in result.stderr
    assert not target.exists()


def test_predict_refuses_an_unknown_extension(cli: Invoke, model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    source.write_text("a,b\n1,2\n")
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source), "-o", "out.csv")
    assert result.exit_code == 1
    assert "'.xlsx'" in result.stderr and ".csv, .json, .jsonl or .parquet" in result.stderr
    # --content-type overrides the extension
    ok = cli("models", "predict", "-m", str(model_dir), "-i", str(source), "-t", "csv")
    assert ok.exit_code == 0, ok.stderr


def test_predict_with_a_missing_column_fails_and_leaves_no_output(
    cli: Invoke, model_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    frame(30).drop(columns=["b"]).to_csv(source, index=False)
    target = tmp_path / "out.parquet"
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source), "-o", str(target))
    assert result.exit_code == 1
    assert "b" in result.stderr and "Error:" in result.stderr
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_predict_of_json_that_is_no_scoring_request_names_the_formats(
    cli: Invoke, model_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.json"
    source.write_text('{"rows": [1, 2]}')
    result = cli("models", "predict", "-m", str(model_dir), "-i", str(source))
    assert result.exit_code == 1
    assert "dataframe_split" in result.stderr


# ------------------------------------------------------------------ describe


def test_describe_shows_flavors_signature_and_requirements(cli: Invoke, model_dir: Path) -> None:
    result = cli("models", "describe", "-m", str(model_dir))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for part in ("Flavors", "python_function", "sklearn", "Inputs", "Outputs", "Requirements"):
        assert part in text
    assert "scikit-learn==" in text and "runwell==" in text
    inputs = text.split("Inputs")[1].split("Outputs")[0]
    assert [line.split() for line in inputs.strip().splitlines()][1:] == [
        ["a", "double", "yes"],
        ["b", "double", "yes"],
    ]


def test_describe_json_is_the_mlmodel_and_requirements(cli: Invoke, model_dir: Path) -> None:
    result = cli("models", "describe", "-m", str(model_dir), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["mlmodel"]["flavors"]) == {"python_function", "sklearn"}
    assert any(line.startswith("scikit-learn==") for line in data["requirements"])
    assert json.loads(data["mlmodel"]["signature"]["inputs"])[0]["name"] == "a"


def test_describe_of_a_directory_without_mlmodel_says_so(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = cli("models", "describe", "-m", str(tmp_path / "empty"))
    assert result.exit_code == 3
    assert "No MLmodel file" in result.stderr


def test_describe_and_predict_resolve_a_runs_uri_in_the_cli_tracking_store(
    cli: Invoke, tracking_uri: str, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression

    import runwell
    import runwell.sklearn

    data = frame(10)
    runwell.set_tracking_uri(tracking_uri)
    with runwell.start_run() as run:
        estimator = LogisticRegression().fit(data, (data["a"] > 5).astype(int))
        runwell.sklearn.log_model(estimator, name="clf", input_example=data.head(2))
    uri = f"runs:/{run.info.run_id}/clf"
    described = cli("models", "describe", "-m", uri, "--json")
    assert described.exit_code == 0, described.stderr
    assert "sklearn" in json.loads(described.stdout)["mlmodel"]["flavors"]
    data.to_csv(tmp_path / "in.csv", index=False)
    scored = cli("models", "predict", "-m", uri, "-i", str(tmp_path / "in.csv"))
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.stdout) == {"predictions": estimator.predict(data).tolist()}
    missing = cli("models", "describe", "-m", "runs:/0123456789abcdef/clf")
    assert missing.exit_code == 3
