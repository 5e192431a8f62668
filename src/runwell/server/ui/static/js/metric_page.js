// One metric of one or more runs on one big chart; the view (x axis, log, smoothing) is in
// the URL. Performance marks for the benchmarks and tests: data received, first view painted
// (a canvas while Plotly.js loads), Plotly drawn.
import { fmtNumber, pageState, toast } from "./common.js";
import { chartSettings, metricChart } from "./charts.js";

const state = pageState();
const node = document.getElementById("metric-chart");
const note = document.getElementById("chart-note");
const settings = chartSettings();
let marked = false;
const chart = metricChart(node, {
  key: state.key, runs: state.runs, settings: settings.current(), buckets: 2000,
  onData: (payload) => {
    if (!marked) performance.mark("runwell:chart-data");
    const total = payload.series.reduce((sum, s) => sum + s.total, 0);
    const drawn = payload.series.reduce((sum, s) => sum + s.values.length, 0);
    const dropped = payload.series.reduce((sum, s) => sum + s.non_finite, 0);
    note.textContent = `${fmtNumber(total)} points` + (drawn < total ? `, drawn as ${fmtNumber(drawn)} (each bucket's minimum and maximum kept; zoom in for detail, download the CSV for all)` : "") +
      (dropped ? `; ${fmtNumber(dropped)} NaN/inf values not drawn` : "");
  },
});
chart.draw().then(() => {
  if (!marked) { marked = true; performance.mark("runwell:chart-painted"); }
}).catch((error) => toast(error.message, true));
chart.interactive.then(() => performance.mark("runwell:chart-interactive"));
settings.onChange((current) => chart.draw(current).catch((error) => toast(error.message, true)));
window.addEventListener("runwell:theme", () => chart.draw().catch(() => {}));
