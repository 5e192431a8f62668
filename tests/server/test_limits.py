"""Resource limits: past each one a clear 4xx, and nothing stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from runwell.errors import InvalidArgument
from runwell.server.config import ServerConfig
from runwell.server.limits import MIB, Limits, from_megabytes
from tests.server.conftest import StartLive

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def test_a_json_body_past_the_limit_is_refused_before_it_is_read(start_live: StartLive) -> None:
    live = start_live(limits=Limits(max_request_body=4096))
    body = {"name": "x" * 5000}
    message = live.fails("POST", "/mlflow/experiments/create", body, 400, "BAD_REQUEST")
    assert "larger than" in message
    assert live.store.find_experiment_by_name("x" * 5000) is None
    chunked = live.http.post(
        "/api/2.0/mlflow/experiments/create",
        content=iter([b'{"name": "', b"y" * 5000, b'"}']),
        headers={"Content-Type": "application/json"},
    )
    assert chunked.status_code == 400


def test_batches_and_max_results_past_the_limits(start_live: StartLive) -> None:
    live = start_live(limits=Limits(max_batch_entities=10, max_results=100))
    run_id = live.store.create_run("0", "u", 0).info.run_id
    metrics = [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(8)]
    params = [{"key": f"p{i}", "value": "v"} for i in range(3)]
    message = live.fails(
        "POST",
        "/mlflow/runs/log-batch",
        {"run_id": run_id, "metrics": metrics, "params": params},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert "at most 10" in message
    assert live.store.get_run(run_id).data.metric_list == ()
    live.ok("POST", "/mlflow/runs/log-batch", {"run_id": run_id, "metrics": metrics})
    search = {"experiment_ids": ["0"], "max_results": 101}
    assert "at most 100" in live.fails(
        "POST", "/mlflow/runs/search", search, 400, "INVALID_PARAMETER_VALUE"
    )
    live.ok("POST", "/mlflow/runs/search", {**search, "max_results": 100})
    live.fails(
        "GET",
        "/mlflow/registered-models/search",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"max_results": "1000000"},
    )


def test_an_upload_past_the_limit_stores_nothing(start_live: StartLive) -> None:
    live = start_live(limits=Limits(max_upload=1000))
    declared = live.http.put(f"{PROXY}/0/r/artifacts/big.bin", content=b"x" * 1001)
    assert declared.status_code == 400, declared.text
    streamed = live.http.put(
        f"{PROXY}/0/r/artifacts/big.bin", content=iter([b"x" * 600, b"x" * 600])
    )
    assert streamed.status_code == 400, streamed.text
    assert "limit" in streamed.json()["message"]
    leftovers = [p for p in live.artifacts.rglob("*") if p.is_file()]
    assert leftovers == []
    assert live.http.put(f"{PROXY}/0/r/artifacts/ok.bin", content=b"x" * 1000).status_code == 200


def test_uploads_past_the_concurrency_limit_get_429(start_live: StartLive) -> None:
    live = start_live(limits=Limits(max_concurrent_uploads=1))
    release, sending = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        sending.set()
        yield b"first part "
        release.wait(20)
        yield b"last part"

    result: list[httpx.Response] = []
    with httpx.Client(base_url=live.url, timeout=30) as other:
        holder = threading.Thread(
            target=lambda: result.append(
                other.put(f"{PROXY}/0/r/artifacts/slow.txt", content=slow_body())
            )
        )
        holder.start()
        try:
            assert sending.wait(10)
            deadline = time.monotonic() + 10
            while True:
                second = live.http.put(f"{PROXY}/0/r/artifacts/other.txt", content=b"x")
                if second.status_code == 429 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)  # the first upload's handler may not hold its slot yet
            assert second.status_code == 429, second.text
            assert second.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        finally:
            release.set()
            holder.join(30)
    assert result and result[0].status_code == 200
    assert live.http.put(f"{PROXY}/0/r/artifacts/other.txt", content=b"x").status_code == 200


def test_limits_come_from_options_and_the_environment() -> None:
    config = ServerConfig.from_env(
        {"RUNWELL_SERVER_MAX_UPLOAD_MB": "5", "RUNWELL_SERVER_MAX_RESULTS": "50"}
    )
    assert (config.max_upload_mb, config.max_results) == (5, 50)
    assert ServerConfig.from_env(config.to_env()) == config
    limits = from_megabytes(max_upload_mb=5, max_results=50)
    assert (limits.max_upload, limits.max_results) == (5 * MIB, 50)
    assert from_megabytes().max_results is None and not from_megabytes().checks_fields
    with pytest.raises(InvalidArgument, match="max_upload"):
        Limits(max_upload=0)
