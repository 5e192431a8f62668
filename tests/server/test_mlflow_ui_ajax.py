"""The routes MLflow's web UI calls under /ajax-api/2.0 only: get-history-bulk, search-datasets
and upload-artifact, on a live server (their --auth rules: tests/server/auth/test_ajax_rules.py)."""

from __future__ import annotations

import math

from runwell.entities import Dataset, DatasetInput, InputTag, Metric
from tests.server.conftest import Live

AJAX = "/ajax-api/2.0"


def _run(live: Live, name: str = "ui") -> tuple[str, str]:
    exp_id = live.store.create_experiment(name).experiment_id
    return exp_id, live.store.create_run(exp_id, "u", 1).info.run_id


def test_get_history_bulk_gives_every_point_by_run(live: Live) -> None:
    exp_id, first = _run(live)
    second = live.store.create_run(exp_id, "u", 1).info.run_id
    live.store.log_metric(first, Metric("loss", 0.5, 20, 1))
    live.store.log_metric(first, Metric("loss", 0.7, 10, 0))
    live.store.log_metric(second, Metric("loss", math.nan, 5, 0))
    live.store.log_metric(second, Metric("other", 1.0, 5, 0))
    path = "/mlflow/metrics/get-history-bulk"
    got = live.ok(
        "GET", path, params={"run_id": [second, first], "metric_key": "loss"}, prefix=AJAX
    )
    points = [(m["run_id"], m["step"], m["timestamp"], m["key"]) for m in got["metrics"]]
    expected = [(first, 0, 10, "loss"), (first, 1, 20, "loss"), (second, 0, 5, "loss")]
    assert points == sorted(expected)
    assert [m["value"] for m in got["metrics"] if m["run_id"] == first] == [0.7, 0.5]
    capped = {"run_id": [first, second], "metric_key": "loss", "max_results": "2"}
    assert len(live.ok("GET", path, params=capped, prefix=AJAX)["metrics"]) == 2
    none = live.ok("GET", path, params={"run_id": first, "metric_key": "nope"}, prefix=AJAX)
    assert none == {"metrics": []}
    message = live.fails(
        "GET",
        path,
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params={"metric_key": "loss"},
        prefix=AJAX,
    )
    assert "run_id" in message
    many = {"run_id": [f"r{i}" for i in range(101)], "metric_key": "loss"}
    live.fails("GET", path, None, 400, "INVALID_PARAMETER_VALUE", params=many, prefix=AJAX)
    # MLflow serves it for its UI only: there is no /api/2.0 twin.
    assert live.call("GET", path, params={"run_id": first, "metric_key": "loss"}).status_code == 404


def test_search_datasets_summarises_each_use(live: Live) -> None:
    exp_id, run_id = _run(live)
    other_exp, other_run = _run(live, "elsewhere")
    train = Dataset("iris", "abc", "local", "{}")
    live.store.log_inputs(
        run_id,
        [
            DatasetInput(train, (InputTag("mlflow.data.context", "training"),)),
            DatasetInput(Dataset("wine", "def", "local", "{}")),
        ],
    )
    live.store.log_inputs(
        other_run, [DatasetInput(train, (InputTag("mlflow.data.context", "eval"),))]
    )
    path = "/mlflow/experiments/search-datasets"
    got = live.ok("POST", path, {"experiment_ids": [exp_id]}, prefix=AJAX)
    assert got == {
        "dataset_summaries": [
            {"experiment_id": exp_id, "name": "iris", "digest": "abc", "context": "training"},
            {"experiment_id": exp_id, "name": "wine", "digest": "def"},
        ]
    }
    both = live.ok("POST", path, {"experiment_ids": [exp_id, other_exp]}, prefix=AJAX)
    assert len(both["dataset_summaries"]) == 3
    empty_exp = live.store.create_experiment("empty").experiment_id
    assert live.ok("POST", path, {"experiment_ids": [empty_exp]}, prefix=AJAX) == {}
    live.fails("POST", path, {"experiment_ids": []}, 400, "INVALID_PARAMETER_VALUE", prefix=AJAX)
    too_many = {"experiment_ids": [str(i) for i in range(21)]}
    live.fails("POST", path, too_many, 400, "INVALID_PARAMETER_VALUE", prefix=AJAX)


def test_upload_artifact_stores_the_raw_body_under_the_run(live: Live) -> None:
    exp_id, run_id = _run(live)
    url = AJAX + "/mlflow/upload-artifact"
    sent = live.http.post(url, params={"run_uuid": run_id, "path": "notes/a.txt"}, content=b"hi")
    assert sent.status_code == 200, sent.text
    assert (
        live.artifacts / exp_id / run_id / "artifacts" / "notes" / "a.txt"
    ).read_bytes() == b"hi"
    listed = live.ok("GET", "/mlflow/artifacts/list", params={"run_id": run_id, "path": "notes"})
    assert [f["path"] for f in listed["files"]] == ["notes/a.txt"]
    for params, body in (
        ({"path": "a.txt"}, b"x"),
        ({"run_uuid": run_id}, b"x"),
        ({"run_uuid": run_id, "path": "a.txt"}, b""),
        ({"run_uuid": run_id, "path": "../escape.txt"}, b"x"),
    ):
        refused = live.http.post(url, params=params, content=body)
        assert refused.status_code == 400, (params, refused.text)
    assert not (live.artifacts / exp_id / run_id / "escape.txt").exists()
    huge = live.http.post(
        url, params={"run_uuid": run_id, "path": "big.bin"}, content=b"0" * (10 * 1024 * 1024 + 1)
    )
    assert huge.status_code in (400, 413)
    assert not (live.artifacts / exp_id / run_id / "artifacts" / "big.bin").exists()
    unknown = live.http.post(url, params={"run_uuid": "0" * 32, "path": "a.txt"}, content=b"x")
    assert unknown.status_code == 404
