"""One request cannot block the scoring server (issue 19, item 6).

An outside red team sent one 0.7 MB CSV of 100,000 columns: it took 14.5 s and ``/ping`` from
another client waited 13.2 s, because parsing ran on the event loop. Now requests past the
column or cell limits are refused with a 400 before pandas sees them, and parsing, predict and
encoding run in the predict threads, so ``/ping`` and ``/health`` answer at once beside a
legitimately slow request.

The latency tests serve a PythonModel saved here with the real ``runwell models serve`` in its
own process, so the test's clients do not share the server's interpreter lock.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pandas as pd
import pytest

import runwell.pyfunc
from runwell.errors import InvalidArgument
from runwell.scoring import build_app
from tests.models.model_builders import RUNWELL, free_port, stop, wait_for_ping
from tests.scoring.conftest import EchoModel

WIDE = 100_000
PING_BOUND_S = 0.1
ROOT = Path(__file__).resolve().parents[2]


class Sleeper(runwell.pyfunc.PythonModel):
    """Sleeps ``sleep`` seconds (a column of the first row), then predicts the row count."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        if "sleep" in model_input.columns:
            time.sleep(float(model_input["sleep"].iloc[0]))
        return [len(model_input.columns)] * len(model_input)


def wide_csv(columns: int, rows: int = 1) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    return (header + "\n" + (",".join("1" for _ in range(columns)) + "\n") * rows).encode()


def wide_requests() -> dict[str, tuple[bytes, str]]:
    """The 100,000-column request in every format, and the ways JSON spells it."""
    names = [f"c{i}" for i in range(WIDE)]
    table = pd.DataFrame({name: [1] for name in names[:20_000]})
    parquet = io.BytesIO()
    table.to_parquet(parquet)
    json_bodies = {
        "dataframe_split": {"dataframe_split": {"columns": names, "data": [[1] * WIDE]}},
        "split, ragged rows": {"dataframe_split": {"data": [[1], [1] * WIDE]}},
        "dataframe_records": {"dataframe_records": [dict.fromkeys(names, 1)]},
        "records, keys spread over rows": {
            "dataframe_records": [{f"c{r}_{i}": 1 for i in range(1000)} for r in range(100)]
        },
        "instances": {"instances": [dict.fromkeys(names, 1)]},
        "inputs": {"inputs": {name: [1] for name in names}},
    }
    requests = {
        name: (orjson.dumps(body), "application/json") for name, body in json_bodies.items()
    }
    requests["csv"] = (wide_csv(WIDE), "text/csv")
    requests["parquet (20,000 columns)"] = (parquet.getvalue(), "application/vnd.apache.parquet")
    return requests


def huge_requests() -> dict[str, tuple[bytes, str]]:
    """Requests within the column limit but past the 1,000,000 cells."""
    split = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 2.5]] * 600_000}}
    return {
        "csv, 1,000,001 rows": (b"a\n" + b"1\n" * 1_000_001, "text/csv"),
        "split, 1,200,000 cells": (orjson.dumps(split), "application/json"),
        "tensor, 1,001,000 cells": (
            orjson.dumps({"inputs": [[1.0] * 1000] * 1001}),
            "application/json",
        ),
    }


@pytest.fixture(scope="module")
def sleeper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sleeper") / "model"
    runwell.pyfunc.save_model(path, python_model=Sleeper())
    return path


def _start(model_dir: Path, *options: str) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the pickled class lives in tests/
    command = [RUNWELL, "models", "serve", "-m", str(model_dir), "-p", str(port), *options]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_ping(process, port, limit_s=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(sleeper_dir: Path) -> Iterator[str]:
    """``runwell models serve`` of the Sleeper model, in its own process."""
    yield from _start(sleeper_dir, "--log-level", "warning")


@pytest.fixture(scope="module")
def batching_server(sleeper_dir: Path) -> Iterator[str]:
    yield from _start(sleeper_dir, "--log-level", "warning", "--batch-max-size", "8")


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[int(0.99 * (len(ordered) - 1))]


def probe_while(url: str, busy: Callable[[], None], minimum: int = 15) -> list[float]:
    """``/ping`` and ``/health`` latencies, probed every 20 ms while ``busy`` runs in a thread
    (at least ``minimum`` probes: the probing goes on after ``busy`` until there are)."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            busy()
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    worker = threading.Thread(target=run)
    latencies: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/ping")  # the connection is open before the clock starts
        worker.start()
        time.sleep(0.05)  # the busy request is in the server
        while worker.is_alive() or len(latencies) < minimum:
            for route in ("/ping", "/health"):
                started = time.perf_counter()
                response = client.get(route)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
            time.sleep(0.02)
    worker.join()
    assert not failures, failures
    return latencies


def post(url: str, body: bytes, content_type: str) -> httpx.Response:
    return httpx.post(
        f"{url}/invocations", content=body, headers={"content-type": content_type}, timeout=120
    )


def test_wide_requests_are_refused_quickly_naming_the_limit(server: str) -> None:
    for name, (body, content_type) in wide_requests().items():
        started = time.perf_counter()
        response = post(server, body, content_type)
        elapsed = time.perf_counter() - started
        assert response.status_code == 400, (name, response.text[:300])
        payload = response.json()
        assert payload["error_code"] == "BAD_REQUEST"
        message = payload["message"]
        assert "columns; this server accepts at most 10000" in message, (name, message)
        assert "RUNWELL_SCORING_MAX_COLUMNS" in message
        seen = "20000" if name.startswith("parquet") else "100000"
        assert f"has {seen} columns" in message, (name, message)
        assert elapsed < 3.0, (name, elapsed)  # was 14.5 s for the CSV


def test_requests_past_the_cell_limit_are_refused_naming_it(server: str) -> None:
    for name, (body, content_type) in huge_requests().items():
        response = post(server, body, content_type)
        assert response.status_code == 400, (name, response.text[:300])
        message = response.json()["message"]
        assert "cells (rows x columns); this server accepts at most 1000000" in message, message
        assert "RUNWELL_SCORING_MAX_CELLS" in message


def test_deep_json_is_a_400(server: str) -> None:
    for depth in (1000, 5000, 100_000):
        arrays = "[" * depth + "]" * depth
        for body in ('{"inputs": ' + arrays + "}", '{"dataframe_records": ' + arrays + "}"):
            response = post(server, body.encode(), "application/json")
            assert response.status_code == 400, (depth, response.text[:300])
            assert "nested too deeply" in response.json()["message"]


def test_ping_answers_at_once_during_the_wide_attack(server: str) -> None:
    requests = wide_requests()
    attack = [requests["csv"], requests["dataframe_split"], requests["dataframe_records"]]

    def send_attack() -> None:
        for body, content_type in attack * 2:
            assert post(server, body, content_type).status_code == 400

    latencies = probe_while(server, send_attack)
    assert p99(latencies) < PING_BOUND_S, sorted(latencies)[-5:]


@pytest.mark.parametrize("which", ["server", "batching_server"])
def test_ping_answers_at_once_while_a_slow_model_predicts(
    which: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(which)
    body = orjson.dumps({"dataframe_split": {"columns": ["sleep"], "data": [[2.0]]}})

    def slow() -> None:
        response = post(url, body, "application/json")
        assert response.status_code == 200 and response.json() == {"predictions": [1]}

    latencies = probe_while(url, slow)
    assert p99(latencies) < PING_BOUND_S, sorted(latencies)[-5:]


@pytest.mark.parametrize("which", ["server", "batching_server"])
def test_ping_answers_at_once_while_a_large_allowed_request_is_parsed(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Wide is what costs: 9,000 columns (each a pandas column) are allowed, and slow."""
    url = request.getfixturevalue(which)
    names = [f"c{i}" for i in range(9000)]
    split = orjson.dumps({"dataframe_split": {"columns": names, "data": [[1.0] * 9000] * 20}})
    requests = [(wide_csv(9000, rows=50), "text/csv"), (split, "application/json")]

    def large() -> None:
        for body, content_type in requests:
            response = post(url, body, content_type)
            assert response.status_code == 200, response.text[:300]
            assert response.json()["predictions"][0] == 9000

    latencies = probe_while(url, large)
    assert p99(latencies) < PING_BOUND_S, sorted(latencies)[-5:]


def test_the_limits_follow_the_environment_and_build_app(
    served: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[1] * 5] * 4
    five = {"dataframe_split": {"columns": list("abcde"), "data": rows}}
    six = {"dataframe_split": {"columns": list("abcdef"), "data": [[1] * 6]}}
    monkeypatch.setenv("RUNWELL_SCORING_MAX_COLUMNS", "5")
    monkeypatch.setenv("RUNWELL_SCORING_MAX_CELLS", "20")
    url = served(EchoModel())
    assert httpx.post(f"{url}/invocations", json=five).status_code == 200
    refused = httpx.post(f"{url}/invocations", json=six)
    assert refused.status_code == 400
    assert "has 6 columns; this server accepts at most 5" in refused.json()["message"]
    rows.append([1] * 5)
    refused = httpx.post(f"{url}/invocations", json=five)
    assert "has 25 cells (rows x columns); this server accepts at most 20" in refused.text

    explicit = served(EchoModel(), max_columns=6, max_cells=100)
    assert httpx.post(f"{explicit}/invocations", json=six).status_code == 200

    monkeypatch.setenv("RUNWELL_SCORING_MAX_CELLS", "lots")
    with pytest.raises(InvalidArgument, match="RUNWELL_SCORING_MAX_CELLS='lots'"):
        build_app(EchoModel())


# --- bodies over a MiB: decoded in the decoder process (runwell.scoring.decoder) -------------

MIB = 1024 * 1024


def hostile_json() -> dict[str, bytes]:
    """Bodies just under the 64 MiB limit, of tiny values: about a second of orjson each."""
    rows = 60 * MIB // 10
    return {
        "split of 6 M two-cell rows": b'{"dataframe_split": {"data": ['
        + b"[0.5,1.5]," * rows
        + b"[1,2]]}}",
        "tensor of 31 M zeros": b'{"inputs": [' + b"0," * (31 * MIB) + b"0]}",
        "LLM prompt of 31 M zeros": b'{"prompt": [' + b"0," * (31 * MIB) + b"0]}",
    }


def test_ping_answers_at_once_while_hostile_64_mib_bodies_are_decoded(server: str) -> None:
    bodies = hostile_json()

    def attack() -> None:
        for name, body in bodies.items():
            response = post(server, body, "application/json")
            assert response.status_code == 400, (name, response.text[:300])
            message = response.json()["message"]
            assert "this server accepts at most 1000000" in message, (name, message)
            assert "RUNWELL_SCORING_MAX_CELLS" in message

    latencies = probe_while(server, attack)
    assert p99(latencies) < PING_BOUND_S, sorted(latencies)[-5:]


def test_large_bodies_decoded_apart_answer_as_small_ones_do(server: str) -> None:
    names = [f"c{i}" for i in range(4)]
    rows = [[float(r), 1.0, 2.0, 3.0] for r in range(60_000)]
    requests = {
        "dataframe_split": {"dataframe_split": {"columns": names, "data": rows}},
        "dataframe_records": {
            "dataframe_records": [dict(zip(names, row, strict=True)) for row in rows]
        },
    }
    for name, payload in requests.items():
        body = orjson.dumps(payload)
        assert len(body) > MIB, name
        response = post(server, body, "application/json")
        assert response.status_code == 200, (name, response.text[:300])
        assert response.json() == {"predictions": [4] * 60_000}, name
    # Refusals keep their code and wording when they come from the decoder process.
    broken = b'{"dataframe_split": {"data": [' + b"[1,2]," * MIB + b"[1,2]"
    response = post(server, broken, "application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid input. Ensure that input is a valid")
    deep = b'{"pad": "' + b"0" * MIB + b'", "inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = post(server, deep, "application/json")
    assert response.status_code == 400, response.text[:300]
    assert "nested too deeply" in response.json()["message"]
    ragged = orjson.dumps({"dataframe_split": {"columns": ["a"], "data": [[1, 2]] * 200_000}})
    response = post(server, ragged, "application/json")
    assert response.status_code == 400, response.text[:300]
