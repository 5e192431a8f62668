"""Charts paint a first view on a canvas before Plotly.js has loaded, then hand over to it.

Plotly's request is held back by the test (``page.route``), so the first view can be checked
while it is all there is: one line per run in the run's colour (the swatch colour of the runs
table), inside the plot area; then Plotly is let through and must replace every canvas
without a console error. Without Plotly at all, the canvases stay and the page says so.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from runwell import Metric, RunwellClient
from tests.ui.conftest import UiServer, console_error

pytestmark = pytest.mark.browser

PLOTLY = "**/vendor/plotly.min.js"

# For each colour (CSS rgb() strings), the opaque pixels of that colour inside the plot area.
COUNT_PIXELS = """([selector, colours]) => {
  const canvas = document.querySelector(selector);
  const [left, top, right, bottom] = canvas.dataset.plot.split(",").map(Number);
  const ratio = canvas.width / canvas.clientWidth;
  const x0 = Math.ceil(left * ratio) + 1, y0 = Math.ceil(top * ratio) + 1;
  const w = Math.floor((right - left) * ratio) - 2, h = Math.floor((bottom - top) * ratio) - 2;
  const { data } = canvas.getContext("2d").getImageData(x0, y0, w, h);
  const wanted = colours.map((c) => c.match(/\\d+/g).map(Number));
  const counts = wanted.map(() => 0);
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 160) continue;
    wanted.forEach(([r, g, b], k) => {
      if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 24) {
        counts[k] += 1;
      }
    });
  }
  return counts;
}"""

SWATCHES = (
    "[...document.querySelectorAll('table [data-run-color]')]"
    ".map((n) => getComputedStyle(n).backgroundColor)"
)


def _hold(page: Any) -> list[Any]:
    held: list[Any] = []
    page.route(PLOTLY, lambda route: held.append(route))
    return held


def _release(page: Any, held: list[Any]) -> None:
    for route in held:
        route.continue_()
    page.unroute(PLOTLY)


def _mark(page: Any, name: str) -> None:
    page.wait_for_function(f"() => performance.getEntriesByName('{name}').length > 0")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_metric_chart_paints_one_line_per_run_before_plotly_then_hands_over(
    browser: Any, ui: UiServer, screenshots: Path, scheme: str
) -> None:
    demo = ui.demo
    assert demo is not None
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.extend(filter(None, [console_error(m)])))
    held = _hold(page)
    page.goto(f"{ui.url}/metric?runs={','.join(demo.runs)}&key=loss")
    _mark(page, "runwell:chart-painted")
    assert page.evaluate("window.Plotly === undefined")
    canvas = page.locator("#metric-chart canvas.first-view")
    assert canvas.get_attribute("data-traces") == str(len(demo.runs))
    assert canvas.get_attribute("aria-label") == f"Chart of loss: {len(demo.runs)} runs"
    colours = page.evaluate(SWATCHES)
    assert len(set(colours)) == len(demo.runs)
    counts = page.evaluate(COUNT_PIXELS, ["#metric-chart canvas.first-view", colours])
    assert all(count >= 30 for count in counts), counts
    page.screenshot(path=str(screenshots / f"metric-first-view-{scheme}.png"))

    _release(page, held)
    _mark(page, "runwell:chart-interactive")
    assert page.locator("#metric-chart canvas.first-view").count() == 0
    assert page.evaluate("document.getElementById('metric-chart').data.length") == len(demo.runs)
    page.screenshot(path=str(screenshots / f"metric-plotly-{scheme}.png"))
    context.close()
    assert errors == []


def test_settings_changed_before_plotly_repaint_the_first_view(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    held = _hold(page)
    page.goto(f"{ui.url}/metric?runs={demo.runs[0]}&key=loss")
    _mark(page, "runwell:chart-painted")
    page.locator("#chart-smooth").fill("0.8")
    page.locator("#chart-smooth").dispatch_event("change")
    page.check("#chart-log")
    assert "log=1" in page.url and "smooth=0.8" in page.url
    # The faint raw line is not counted: still one line for the one run.
    assert page.locator("#metric-chart canvas.first-view").get_attribute("data-traces") == "1"
    _release(page, held)
    _mark(page, "runwell:chart-interactive")
    page.wait_for_function(
        "() => document.getElementById('metric-chart').layout.yaxis.type === 'log'"
    )
    assert page.evaluate("document.getElementById('metric-chart').data.length") == 2
    assert page.errors == []


def test_the_first_view_follows_a_wall_time_axis(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    held = _hold(page)
    page.goto(f"{ui.url}/metric?runs={','.join(demo.runs)}&key=loss&x=time")
    _mark(page, "runwell:chart-painted")
    canvas = page.locator("#metric-chart canvas.first-view")
    assert canvas.get_attribute("data-traces") == str(len(demo.runs))
    _release(page, held)
    _mark(page, "runwell:chart-interactive")
    assert page.evaluate("document.getElementById('metric-chart').layout.xaxis.type") == "date"
    assert page.errors == []


def test_zooming_asks_the_server_for_the_detail_of_the_range(page: Any, ui: UiServer) -> None:
    client = RunwellClient(ui.url)
    experiment = client.create_experiment("long history")
    run_id = client.create_run(experiment, run_name="long").info.run_id
    for start in range(0, 20_000, 1_000):
        client.log_batch(
            run_id,
            metrics=[
                Metric(key="wave", value=math.sin(s / 300), timestamp=1_000 + s, step=s)
                for s in range(start, start + 1_000)
            ],
        )
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "metrics/sampled" in r.url else None)
    page.goto(f"{ui.url}/metric?runs={run_id}&key=wave")
    _mark(page, "runwell:chart-interactive")
    assert "drawn as" in page.locator("#chart-note").inner_text()
    page.evaluate("Plotly.relayout('metric-chart', {'xaxis.range': [5000, 6000]})")
    page.wait_for_function(
        "() => document.getElementById('chart-note').textContent.startsWith('1001 points')"
    )
    assert "start=5000" in asked[-1] and "end=6000" in asked[-1]
    steps = page.evaluate("document.getElementById('metric-chart').data[0].x")
    assert (min(steps), max(steps), len(steps)) == (5000, 6000, 1001)
    page.evaluate("Plotly.relayout('metric-chart', {'xaxis.autorange': true})")
    page.wait_for_function(
        "() => document.getElementById('chart-note').textContent.startsWith('20000 points')"
    )
    assert "start=" not in asked[-1]
    assert page.errors == []


def test_compare_paints_every_chart_and_the_scatter_before_plotly(
    page: Any, ui: UiServer, screenshots: Path
) -> None:
    demo = ui.demo
    assert demo is not None
    held = _hold(page)
    page.goto(f"{ui.url}/compare?runs={','.join(demo.runs)}")
    _mark(page, "runwell:compare-painted")
    assert page.evaluate("window.Plotly === undefined")
    charts = page.locator(".chart-card .chart canvas.first-view")
    traces = [charts.nth(i).get_attribute("data-traces") for i in range(charts.count())]
    assert traces[:3] == [str(len(demo.runs))] * 3
    assert page.locator("#scatter-chart canvas.first-view").get_attribute("data-traces") == str(
        len(demo.runs)
    )
    assert page.locator("#parallel-chart polyline").count() == len(demo.runs)
    page.screenshot(path=str(screenshots / "compare-first-view-light.png"), full_page=True)
    _release(page, held)
    _mark(page, "runwell:compare-interactive")
    assert page.locator("canvas.first-view").count() == 0
    assert page.evaluate("document.getElementById('scatter-chart').data.length") == len(demo.runs)
    assert page.errors == []


def test_without_plotly_the_first_views_stay_and_the_page_says_so(page: Any, ui: UiServer) -> None:
    demo = ui.demo
    assert demo is not None
    page.route(PLOTLY, lambda route: route.abort())
    page.goto(f"{ui.url}/metric?runs={','.join(demo.runs)}&key=loss")
    _mark(page, "runwell:chart-painted")
    page.wait_for_function("() => document.getElementById('toast').textContent.includes('static')")
    assert page.locator("#metric-chart canvas.first-view").get_attribute("data-traces") == str(
        len(demo.runs)
    )
    assert page.errors == []
