// The run page: tabs, description and tag editing, metric summaries, charts, artifacts.
import { AJAX, UI_API, api, fmtNumber, pageState, toast } from "./common.js";
import { artifactBrowser } from "./artifacts.js";
import { ChartGrid } from "./chart_grid.js";
import { chartSettings } from "./charts.js";
import { descriptionEditor, tabs, tagEditor } from "./editing.js";

const state = pageState();
const runId = state.run_id;

descriptionEditor((text) => api(`${AJAX}/runs/set-tag`, { method: "POST", body: { run_id: runId, key: "mlflow.note.content", value: text } }));
tagEditor({
  set: (key, value) => api(`${AJAX}/runs/set-tag`, { method: "POST", body: { run_id: runId, key, value } }),
  remove: (key) => api(`${AJAX}/runs/delete-tag`, { method: "POST", body: { run_id: runId, key } }),
});

let summariesLoaded = false;
async function loadSummaries() {
  if (summariesLoaded) return;
  summariesLoaded = true;
  try {
    const { metrics = [] } = await api(`${UI_API}/runs/metric-summaries`, { params: { run_id: runId } });
    const byKey = new Map(metrics.map((m) => [m.key, m]));
    for (const row of document.querySelectorAll(".metric-summary tr[data-key]")) {
      const summary = byKey.get(row.dataset.key);
      row.querySelector(".min").textContent = summary ? fmtNumber(summary.min) : "";
      row.querySelector(".max").textContent = summary ? fmtNumber(summary.max) : "";
      row.querySelector(".count").textContent = summary ? summary.count.toLocaleString() : "";
    }
  } catch (error) { toast(error.message, true); }
}

let grid = null;
function loadCharts() {
  if (grid) return;
  const keys = state.metric_keys;
  grid = new ChartGrid(document.getElementById("chart-groups"), {
    groups: [
      { title: "Metrics", keys: keys.filter((k) => !k.startsWith("system/")) },
      { title: "System metrics", keys: keys.filter((k) => k.startsWith("system/")) },
    ],
    runs: [{ run_id: runId, name: state.run_name, start_time: state.start_time }],
    settings: chartSettings(),
    filter: document.getElementById("chart-filter"),
  });
  grid.render();
}

let artifactsLoaded = false;
window.addEventListener("runwell:tab", (event) => {
  if (event.detail === "metrics") loadSummaries();
  if (event.detail === "charts") loadCharts();
  if (event.detail === "artifacts" && !artifactsLoaded) { artifactsLoaded = true; artifactBrowser(document.getElementById("artifact-browser")); }
});
tabs();
