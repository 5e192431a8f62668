"""The UI's pages over HTTP: every page renders from the store, stored strings come back
escaped, errors are HTML pages with the right status, static files and Plotly are served."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.builders import XSS
from tests.ui.conftest import UiServer, start_server

HTML = {"accept": "text/html"}


def _pages(ui: UiServer) -> dict[str, str]:
    demo = ui.demo
    assert demo is not None
    runs = ",".join(demo.runs)
    return {
        "experiments": "/",
        "experiments-search": "/experiments?q=vision&view=all",
        "runs": f"/experiments/{demo.experiment_id}",
        "runs-of-several": f"/runs?experiments={demo.experiment_id},0",
        "run": f"/runs/{demo.xss_run}",
        "run-in-experiment": f"/experiments/{demo.experiment_id}/runs/{demo.parent}",
        "metric": f"/metric?runs={runs}&key=loss",
        "compare": f"/compare?runs={runs}",
        "models": "/models",
        "model": "/model?name=iris%20classifier",
        "version": "/model-version?name=iris%20classifier&version=2",
    }


def test_every_page_renders_with_its_security_headers(ui: UiServer) -> None:
    for name, path in _pages(ui).items():
        response = ui.http.get(path, headers=HTML)
        assert response.status_code == 200, (name, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "runwell_csrf=" in response.headers["set-cookie"]
        assert "SameSite=strict" in response.headers["set-cookie"]


def test_stored_strings_come_back_escaped(ui: UiServer) -> None:
    for name, path in _pages(ui).items():
        body = ui.http.get(path).text
        for payload in XSS:
            assert payload not in body or payload.startswith("javascript:"), (name, payload)
        assert "<script>window" not in body, name
        assert 'onerror="window' not in body, name
    run_page = ui.http.get(_pages(ui)["run"]).text
    assert "&lt;script&gt;window.__xss=&#39;script&#39;&lt;/script&gt;" in run_page
    # A javascript: value is shown as text, never as a link target.
    assert 'href="javascript:' not in run_page


def test_markdown_descriptions_render_without_raw_html_or_script_links(ui: UiServer) -> None:
    body = ui.http.get(_pages(ui)["run"]).text
    assert "<strong>bold</strong>" in body
    assert '<a href="https://example.invalid" rel="noopener noreferrer">link</a>' in body
    assert "javascript:window.__xss=&#39;md-link&#39;" in body  # shown as text
    assert "&lt;script&gt;window.__xss=&#39;md&#39;&lt;/script&gt;" in body


def test_page_state_json_cannot_close_its_script_tag(ui: UiServer) -> None:
    body = ui.http.get(_pages(ui)["compare"]).text
    state = re.search(r'<script type="application/json" id="page-state">(.*?)</script>', body)
    assert state is not None
    assert "<" not in state.group(1)


def test_errors_are_pages_that_say_what_went_wrong(ui: UiServer) -> None:
    missing = ui.http.get("/runs/" + "0" * 32, headers=HTML)
    assert missing.status_code == 404
    assert "Run with id=" in missing.text and "<h1>Not found</h1>" in missing.text
    bad = ui.http.get("/compare?runs=one", headers=HTML)
    assert bad.status_code == 400 and "Compare needs 2 to 100 runs" in bad.text
    nowhere = ui.http.get("/no/such/page", headers=HTML)
    assert nowhere.status_code == 404 and "Page not found" in nowhere.text
    api = ui.http.get("/api/2.0/mlflow/no-such", headers=HTML)
    assert api.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert ui.http.get("/no/such/page").json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_a_bad_experiment_filter_is_shown_inline(ui: UiServer) -> None:
    response = ui.http.get("/experiments", params={"q": "name = "})
    assert response.status_code == 400
    assert 'class="inline-error"' in response.text
    named = ui.http.get("/experiments", params={"q": "visi"}).text
    assert "vision" in named and "Default" not in named.split("<tbody>")[1]


def test_static_files_and_plotly_are_served_from_the_package(ui: UiServer) -> None:
    body = ui.http.get(_pages(ui)["run"]).text
    paths = re.findall(r'(?:src|href)="(/static-files/[^"]+)"', body)
    assert any(p.endswith("plotly.min.js") for p in paths)
    for path in paths:
        response = ui.http.get(path)
        assert response.status_code == 200, path
        assert "immutable" in response.headers["cache-control"]
    build = paths[0].split("/")[2]
    assert (
        ui.http.get(f"/static-files/{build}/js/common.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    escaped = ui.http.get(f"/static-files/{build}/..%2F..%2Ftemplating.py")
    assert escaped.status_code == 404


def test_plotly_goes_out_gzipped_and_chart_pages_do_not_block_on_it(ui: UiServer) -> None:
    pages = _pages(ui)
    metric = ui.http.get(pages["metric"]).text
    plotly = re.search(r'name="runwell-plotly" content="([^"]+)"', metric)
    assert plotly is not None
    # Plotly is fetched by the page's script once the first views are painted, not preloaded.
    assert f'href="{plotly[1]}"' not in metric
    modules = re.findall(r'rel="modulepreload" href="([^"]+)"', metric)
    assert {m.rsplit("/", 1)[1] for m in modules} >= {"charts.js", "canvas_chart.js", "ticks.js"}
    assert f'rel="prefetch" href="{plotly[1]}"' in ui.http.get(pages["run"]).text
    zipped = ui.http.get(plotly[1], headers={"accept-encoding": "gzip"})
    plain = ui.http.get(plotly[1], headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # httpx decodes the gzip
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert "immutable" in zipped.headers["cache-control"]


@pytest.fixture(scope="module")
def prefixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    yield from start_server(Path(tmp_path_factory.mktemp("prefixed")), prefix="/mlflow")


def test_the_ui_lives_under_the_static_prefix(prefixed: UiServer) -> None:
    body = prefixed.http.get("/").text
    assert 'content="/mlflow"' in body
    assert 'href="/mlflow/experiments/' in body
    assert re.search(r'src="/mlflow/static-files/[^"]+/js/common.js"', body)
    demo = prefixed.demo
    assert demo is not None
    assert prefixed.http.get(f"/runs/{demo.xss_run}").status_code == 200
    table = prefixed.http.get(
        "/ajax-api/2.0/runwell/ui/runs/table", params={"experiment_ids": demo.experiment_id}
    )
    assert table.status_code == 200


def test_import_runwell_loads_no_ui_dependency() -> None:
    code = "import json, sys, runwell; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert not loaded & {"jinja2", "markdown_it", "plotly", "markupsafe"}


def test_the_javascript_we_ship_stays_small() -> None:
    from runwell.server.ui.assets import STATIC

    total = sum(path.stat().st_size for path in STATIC.rglob("*.js"))
    assert total < 150 * 1024, f"{total} bytes of JavaScript (Plotly excluded)"
