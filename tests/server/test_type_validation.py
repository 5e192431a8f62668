"""Request fields are type-checked on every RPC the way MLflow's server checks them.

A number, bool, list or object where a string belongs is a 400 INVALID_PARAMETER_VALUE in
MLflow's words; unknown enum names read as unset; relative artifact locations are made
absolute against the server's working directory. The last test asks the real mlflow client
(from .venv-mlflow) which server version it sees.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from runwell.wire.version import MLFLOW_PROTOCOL_VERSION
from tests.server.conftest import Live

HINT = " See the API docs for more information about request parameters."
MLFLOW_PYTHON = Path(__file__).resolve().parents[2] / ".venv-mlflow" / "bin" / "python"


def _type_error(value: str, name: str, kind: str) -> str:
    return (
        f"Invalid value {value} for parameter '{name}' supplied:  Hint: Value was of type "
        f"'{kind}'.{HINT}"
    )


def _experiment(live: Live, name: str = "e", **extra: Any) -> str:
    return str(
        live.ok("POST", "/mlflow/experiments/create", {"name": name, **extra})["experiment_id"]
    )


def _run(live: Live) -> str:
    body = {"experiment_id": _experiment(live), "start_time": 1}
    return str(live.ok("POST", "/mlflow/runs/create", body)["run"]["info"]["run_id"])


@pytest.mark.parametrize(
    ("path", "body", "field", "shown", "kind"),
    [
        (
            "/mlflow/runs/log-metric",
            {"run_id": 31, "key": "m", "value": 1, "timestamp": 1},
            "run_id",
            "31",
            "int",
        ),
        ("/mlflow/runs/set-tag", {"run_id": "$run", "key": "t", "value": 41}, "value", "41", "int"),
        (
            "/mlflow/runs/set-tag",
            {"run_id": "$run", "key": True, "value": "v"},
            "key",
            "true",
            "bool",
        ),
        (
            "/mlflow/runs/log-parameter",
            {"run_id": "$run", "key": "p", "value": [1]},
            "value",
            "[1]",
            "list",
        ),
        ("/mlflow/experiments/create", {"name": 123}, "name", "123", "int"),
        (
            "/mlflow/experiments/create",
            {"name": "x", "artifact_location": 9.0},
            "artifact_location",
            "9.0",
            "float",
        ),
        (
            "/mlflow/experiments/delete",
            {"experiment_id": {"id": 1}},
            "experiment_id",
            '{"id":1}',
            "dict",
        ),
        ("/mlflow/runs/create", {"experiment_id": 0}, "experiment_id", "0", "int"),
        ("/mlflow/runs/log-batch", {"run_id": 7}, "run_id", "7", "int"),
        ("/mlflow/runs/search", {"experiment_ids": "0"}, "experiment_ids", '"0"', "str"),
        ("/mlflow/runs/search", {"experiment_ids": [0]}, "experiment_ids", "[0]", "list"),
        ("/mlflow/registered-models/create", {"name": 5}, "name", "5", "int"),
    ],
)
def test_wrongly_typed_fields_are_refused_in_mlflows_words(
    live: Live, path: str, body: dict[str, Any], field: str, shown: str, kind: str
) -> None:
    if "$run" in body.values():
        body = {k: _run(live) if v == "$run" else v for k, v in body.items()}
    message = live.fails("POST", path, body, 400, "INVALID_PARAMETER_VALUE")
    assert message == _type_error(shown, field, kind)


def test_numeric_strings_still_read_as_numbers(live: Live) -> None:
    run_id = _run(live)
    body = {"run_id": run_id, "key": "m", "value": "2.5", "timestamp": "5", "step": "3"}
    live.ok("POST", "/mlflow/runs/log-metric", body)
    history = live.ok(
        "GET", "/mlflow/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}
    )
    assert history["metrics"] == [{"key": "m", "value": 2.5, "timestamp": 5, "step": 3}]


def test_text_where_a_number_belongs_reports_its_type(live: Live) -> None:
    run_id = _run(live)
    body = {"run_id": run_id, "key": "m", "value": "abc", "timestamp": 1}
    message = live.fails("POST", "/mlflow/runs/log-metric", body, 400, "INVALID_PARAMETER_VALUE")
    assert message == _type_error('"abc"', "value", "str")


def test_a_query_string_may_give_one_value_for_a_list(live: Live) -> None:
    _experiment(live, "b")
    _experiment(live, "a")
    params = {"max_results": "10", "order_by": "name ASC"}
    found = live.ok("GET", "/mlflow/experiments/search", params=params)
    assert [e["name"] for e in found["experiments"]] == ["Default", "a", "b"]
    body = {"max_results": 10, "order_by": "name ASC"}
    message = live.fails("POST", "/mlflow/experiments/search", body, 400, "INVALID_PARAMETER_VALUE")
    assert message == _type_error('"name ASC"', "order_by", "str")


def test_an_unknown_enum_name_is_ignored_and_an_unknown_number_refused(live: Live) -> None:
    run_id = _run(live)
    info = live.ok("POST", "/mlflow/runs/update", {"run_id": run_id, "status": "BOGUS"})
    assert info["run_info"]["status"] == "RUNNING"
    message = live.fails(
        "POST",
        "/mlflow/runs/update",
        {"run_id": run_id, "status": 99},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert message == _type_error("99", "status", "int")


def test_log_batch_and_bulk_interval_messages_match_mlflow(live: Live) -> None:
    run_id = _run(live)
    body = {"run_id": run_id, "metrics": [{"key": "m", "value": 1}]}
    message = live.fails("POST", "/mlflow/runs/log-batch", body, 400, "INVALID_PARAMETER_VALUE")
    assert message == f"Missing value for required parameter 'metrics[0].timestamp'.{HINT}"
    body = {"run_id": run_id, "params": [{"value": "1"}]}
    message = live.fails("POST", "/mlflow/runs/log-batch", body, 400, "INVALID_PARAMETER_VALUE")
    assert message == f"Missing value for required parameter 'params[0].key'.{HINT}"
    message = live.fails(
        "POST",
        "/mlflow/runs/log-batch",
        {"run_id": run_id, "metrics": {}},
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert message == _type_error("{}", "metrics", "dict")
    params = [("run_ids", f"r{i}") for i in range(101)] + [("metric_key", "m")]
    message = live.fails(
        "GET",
        "/mlflow/metrics/get-history-bulk-interval",
        None,
        400,
        "INVALID_PARAMETER_VALUE",
        params=params,
    )
    assert message == (
        f"GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
        f"Received 101 run_ids.{HINT}"
    )


def _location(live: Live, experiment_id: str) -> str:
    got = live.ok("GET", "/mlflow/experiments/get", params={"experiment_id": experiment_id})
    return str(got["experiment"]["artifact_location"])


def test_relative_artifact_locations_are_made_absolute_against_the_cwd(
    live: Live, tmp_path: Path
) -> None:
    # conftest's autouse fixture runs every test (and so the server) in tmp_path.
    cwd = Path.cwd().as_posix()
    assert _location(live, _experiment(live, "a", artifact_location="my_location")) == (
        f"{cwd}/my_location"
    )
    assert _location(live, _experiment(live, "b", artifact_location="file:rel/x")) == (
        f"file://{cwd}/rel/x"
    )
    for kept in ("/srv/abs", "file:///srv/abs", "s3://bucket/p"):
        assert _location(live, _experiment(live, kept, artifact_location=kept)) == kept


def test_a_relative_location_outside_the_artifact_roots_is_still_not_served(live: Live) -> None:
    experiment_id = _experiment(live, "esc", artifact_location="../escape")
    assert _location(live, experiment_id) == f"{Path.cwd().as_posix()}/../escape"
    body = {"experiment_id": experiment_id, "start_time": 1}
    run_id = live.ok("POST", "/mlflow/runs/create", body)["run"]["info"]["run_id"]
    live.fails(
        "GET", "/mlflow/artifacts/list", None, 403, "PERMISSION_DENIED", params={"run_id": run_id}
    )


@pytest.mark.slow
@pytest.mark.skipif(not MLFLOW_PYTHON.exists(), reason="needs .venv-mlflow (make mlflow-env)")
def test_mlflow_client_sees_a_server_version_that_allows_log_spans(live: Live) -> None:
    script = (
        "import sys\n"
        "from packaging.version import Version\n"
        "from mlflow.store.tracking.rest_store import RestStore\n"
        "from mlflow.utils.rest_utils import MlflowHostCreds\n"
        "seen = RestStore._get_server_version(MlflowHostCreds(sys.argv[1]))\n"
        "print(seen)\n"
        "assert seen is not None and seen >= Version('3.4'), seen\n"
    )
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", script, live.url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == MLFLOW_PROTOCOL_VERSION
