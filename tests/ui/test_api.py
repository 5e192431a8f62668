"""The UI's JSON endpoints over HTTP: the runs table, metric summaries, sampled charts and
CSV downloads, artifact previews and inline views, the markdown preview, and CSRF."""

from __future__ import annotations

import json
from typing import Any

from tests.ui.builders import HTML_ARTIFACT, XSS
from tests.ui.conftest import UiServer

UI = "/ajax-api/2.0/runwell/ui"


def _table(ui: UiServer, **params: Any) -> Any:
    assert ui.demo is not None
    response = ui.http.get(
        f"{UI}/runs/table", params={"experiment_ids": ui.demo.experiment_id, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_runs_table_answers_the_chosen_columns_and_every_key(ui: UiServer) -> None:
    table = _table(ui, columns="metrics.loss,params.lr,tags.team", order_by="metrics.loss ASC")
    assert table["total"] == table["count"] == 8
    assert set(table["columns"]) == {"metrics.loss", "params.lr", "tags.team"}
    losses = [v for v in table["columns"]["metrics.loss"] if v is not None]
    assert losses == sorted(losses) and len(losses) == 6
    assert {"loss", "accuracy", "system/cpu"} <= set(table["keys"]["metrics"])
    assert table["runs"]["parent"].count(ui.demo.parent if ui.demo else "") == 3


def test_runs_table_pages_with_a_total_and_reports_filter_errors(ui: UiServer) -> None:
    first = _table(ui, limit=2, filter="params.model = 'cnn'")
    assert (first["count"], first["total"]) == (2, 3)
    assert ui.demo is not None
    bad = ui.http.get(
        f"{UI}/runs/table",
        params={"experiment_ids": ui.demo.experiment_id, "filter": "metrics.loss >> 1"},
    )
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    column = ui.http.get(
        f"{UI}/runs/table", params={"experiment_ids": ui.demo.experiment_id, "columns": "x"}
    )
    assert column.status_code == 400 and "Invalid column" in column.json()["message"]


def test_metric_summaries_give_last_min_max_and_count(ui: UiServer) -> None:
    assert ui.demo is not None
    response = ui.http.get(f"{UI}/runs/metric-summaries", params={"run_id": ui.demo.runs[0]})
    loss = {m["key"]: m for m in response.json()["metrics"]}["loss"]
    assert (loss["count"], loss["max"], loss["last_step"]) == (50, 1.0, 49)
    assert loss["min"] == loss["last"]


def test_sampled_histories_of_several_runs_and_their_limits(ui: UiServer) -> None:
    assert ui.demo is not None
    runs = ui.demo.runs
    response = ui.http.get(
        f"{UI}/metrics/sampled", params={"run_ids": ",".join(runs), "key": "loss", "buckets": 10}
    )
    series = response.json()["series"]
    assert [s["run_id"] for s in series] == runs
    assert all(s["total"] == 50 and s["sampled"] and len(s["values"]) <= 22 for s in series)
    wall = ui.http.get(
        f"{UI}/metrics/sampled", params={"run_ids": runs[0], "key": "loss", "x": "relative"}
    )
    assert wall.json()["x"] == "time"
    many = ui.http.get(
        f"{UI}/metrics/sampled",
        params={"run_ids": ",".join(f"{i:032x}" for i in range(101)), "key": "m"},
    )
    assert many.status_code == 400 and "At most 100 runs" in many.json()["message"]
    bad = ui.http.get(
        f"{UI}/metrics/sampled", params={"run_ids": runs[0], "key": "loss", "x": "wall"}
    )
    assert bad.status_code == 400


def test_a_batch_streams_one_line_per_key_equal_to_the_single_key_answers(ui: UiServer) -> None:
    assert ui.demo is not None
    runs = ",".join(ui.demo.runs)
    keys = ["system/cpu", "loss", "accuracy", "no-such-key"]
    params: dict[str, str | int] = {"run_ids": runs, "buckets": 10, "x": "relative"}
    with ui.http.stream(
        "GET", f"{UI}/metrics/sampled-batch", params={**params, "keys": ",".join(keys)}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert [line["key"] for line in lines] == keys
    for line in lines:
        single = ui.http.get(f"{UI}/metrics/sampled", params={**params, "key": line["key"]})
        assert line == single.json()
    assert [s["total"] for s in lines[-1]["series"]] == [0] * len(ui.demo.runs)


def test_a_batch_reports_bad_arguments_and_unknown_runs_before_streaming(ui: UiServer) -> None:
    assert ui.demo is not None
    batch = f"{UI}/metrics/sampled-batch"
    missing = ui.http.get(batch, params={"run_ids": ui.demo.runs[0]})
    assert missing.status_code == 400 and "'keys'" in missing.json()["message"]
    many = ui.http.get(
        batch, params={"run_ids": ui.demo.runs[0], "keys": ",".join(f"k{i}" for i in range(101))}
    )
    assert many.status_code == 400 and "At most 100 keys" in many.json()["message"]
    unknown = ui.http.get(batch, params={"run_ids": "f" * 32, "keys": "loss"})
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_the_full_history_downloads_as_csv(ui: UiServer) -> None:
    assert ui.demo is not None
    response = ui.http.get(f"{UI}/metrics/csv", params={"run_id": ui.demo.runs[0], "key": "loss"})
    lines = response.text.splitlines()
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert lines[0] == "run_id,key,step,timestamp,value" and len(lines) == 51
    assert lines[1] == f'{ui.demo.runs[0]},"loss",0,1000,1.0'


def _preview(ui: UiServer, path: str) -> Any:
    assert ui.demo is not None
    response = ui.http.get(
        f"{UI}/artifacts/preview", params={"run_id": ui.demo.xss_run, "path": path}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_artifact_previews_of_every_kind(ui: UiServer) -> None:
    assert _preview(ui, "notes.txt")["text"].startswith("line one")
    assert '"layers": [' in _preview(ui, "config.json")["text"]
    assert _preview(ui, "params.yaml")["kind"] == "yaml"
    csv = _preview(ui, "table.csv")
    assert (csv["columns"], csv["rows"][0]) == (["a", "b", "label"], ["0", "0", XSS[0]])
    assert _preview(ui, "table.tsv")["rows"] == [["1", "2"], ["3", "4"]]
    parquet = _preview(ui, "data.parquet")
    assert (parquet["columns"], parquet["total_rows"], parquet["rows"][2][1]) == (
        ["id", "name"],
        3,
        XSS[1],
    )
    model = _preview(ui, "model/MLmodel")
    assert [f["name"] for f in model["flavors"]] == ["python_function", "sklearn"]
    assert [i["name"] for i in model["inputs"]] == ["sepal_length", "petal_width"]
    assert "scikit-learn==1.5.0" in model["requirements"]
    assert _preview(ui, "plot.png")["kind"] == "image"
    assert _preview(ui, "report.html")["kind"] == "html"
    listing = ui.http.get(
        f"{UI}/artifacts/list", params={"run_id": ui.demo.xss_run if ui.demo else ""}
    )
    names = [f["path"] for f in listing.json()["files"]]
    assert names[:2] == ["model", "odd"] and "table.csv" in names


def test_inline_artifacts_are_typed_and_sandboxed(ui: UiServer) -> None:
    assert ui.demo is not None
    raw = f"{UI}/artifacts/raw"
    html = ui.http.get(raw, params={"run_id": ui.demo.xss_run, "path": "report.html"})
    assert html.text == HTML_ARTIFACT
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["content-security-policy"].startswith("sandbox;")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert html.headers["x-content-type-options"] == "nosniff"
    svg = ui.http.get(raw, params={"run_id": ui.demo.xss_run, "path": "vector.svg"})
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["content-security-policy"].startswith("sandbox;")
    text = ui.http.get(raw, params={"run_id": ui.demo.xss_run, "path": "config.json"})
    assert text.headers["content-type"].startswith("text/plain")
    escape = ui.http.get(raw, params={"run_id": ui.demo.xss_run, "path": "../../etc/passwd"})
    assert escape.status_code == 400


def test_markdown_preview_escapes_html(ui: UiServer) -> None:
    response = ui.http.post(f"{UI}/markdown", json={"text": "*a* <script>x()</script>"})
    assert response.json()["html"] == "<p><em>a</em> &lt;script&gt;x()&lt;/script&gt;</p>\n"


def test_requests_with_browser_credentials_need_the_csrf_token(ui: UiServer) -> None:
    assert ui.demo is not None
    token = "t0ken-value"
    body = {"run_id": ui.demo.runs[0], "key": "csrf", "value": "1"}
    path = "/ajax-api/2.0/mlflow/runs/set-tag"
    cookie = {"cookie": f"runwell_csrf={token}; other=1"}
    refused = ui.http.post(path, json=body, headers=cookie)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    wrong = ui.http.post(path, json=body, headers={**cookie, "x-runwell-csrf": "nope"})
    assert wrong.status_code == 403
    cross = ui.http.post(
        path, json=body, headers={"sec-fetch-site": "same-site", "authorization": "Basic eDp5"}
    )
    assert cross.status_code == 403
    assert (
        ui.http.post(path, json=body, headers={**cookie, "x-runwell-csrf": token}).status_code
        == 200
    )
    assert (
        ui.http.post(
            path, json=body, headers={**cookie, "sec-fetch-site": "same-origin"}
        ).status_code
        == 200
    )
    # Clients that carry no browser credentials (MLflow's, ours) are untouched.
    assert ui.http.post(path, json=body).status_code == 200
    assert ui.http.get(f"/runs/{ui.demo.runs[0]}", headers=cookie).status_code == 200
