// Compare runs: differences-only toggle, parallel coordinates of params -> a metric, a
// scatter of any two columns, overlaid metric charts (stable colours per run).
import { colorFor, el, pageState, toast } from "./common.js";
import { ChartGrid } from "./chart_grid.js";
import { chartSettings, layout, plotConfig, staged } from "./charts.js";
import { parallelCoordinates } from "./parallel.js";

const state = pageState();
const runs = state.runs;
const names = runs.map((r) => r.name || r.run_id.slice(0, 8));
const $ = (id) => document.getElementById(id);
const url = new URL(location.href);

$("only-diff")?.addEventListener("change", (event) => $("compare-params").classList.toggle("only-diff", event.target.checked));

const numeric = (values) => values.every((v) => v === null || v === undefined || (v !== "" && Number.isFinite(Number(v))));
const columns = [
  ...Object.keys(state.metrics).map((k) => ({ id: `metrics.${k}`, label: k, values: state.metrics[k] })),
  ...Object.keys(state.params).map((k) => ({ id: `params.${k}`, label: k, values: state.params[k] })),
];
const byId = Object.fromEntries(columns.map((c) => [c.id, c]));
const varying = (c) => new Set(c.values.map(String)).size > 1;

function options(select, list, chosen) {
  select.replaceChildren(...list.map((c) => el("option", { value: c.id, selected: c.id === chosen, text: c.id })));
}

function dimension(column) {
  const values = column.values;
  if (numeric(values)) return { label: column.label, values: values.map((v) => (v === null || v === undefined ? NaN : Number(v))) };
  const levels = [...new Set(values.map((v) => (v === null || v === undefined ? "—" : String(v))))].sort();
  return { label: column.label, values: values.map((v) => levels.indexOf(v === null || v === undefined ? "—" : String(v))), tickvals: levels.map((_, i) => i), ticktext: levels };
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function drawParallel() {
  const metric = byId[$("parallel-metric").value];
  const params = columns.filter((c) => c.id.startsWith("params.") && varying(c)).slice(0, 12);
  if (!metric && !params.length) { $("parallel-chart").replaceChildren(el("p", { class: "muted", text: "No params or metrics to plot." })); return; }
  const dims = [...params.map(dimension), ...(metric ? [dimension(metric)] : [])];
  parallelCoordinates($("parallel-chart"), dims, names);
}

// A column as a scatter axis: numbers, or categories in the order the runs show them (as
// Plotly orders them); missing values are not drawn.
function scatterAxis(column) {
  const missing = (v) => v === null || v === undefined;
  if (numeric(column.values)) return { spec: { type: "linear", title: column.id }, at: (v) => (missing(v) ? NaN : Number(v)) };
  const categories = [...new Set(column.values.filter((v) => !missing(v)).map(String))];
  return { spec: { type: "category", title: column.id, categories }, at: (v) => (missing(v) ? NaN : categories.indexOf(String(v))) };
}

let scatterDrawn;
const scatterInteractive = new Promise((resolve) => { scatterDrawn = resolve; });

// Plotly's scatter of the columns chosen when it runs (a hand-over may come after a change).
async function plotScatter() {
  const x = byId[$("scatter-x").value], y = byId[$("scatter-y").value];
  if (!x || !y) return;
  const traces = runs.map((run, i) => ({
    type: "scatter", mode: "markers", name: names[i], x: [x.values[i]], y: [y.values[i]],
    marker: { color: colorFor(run.run_id), size: 10, line: { width: 1, color: css("--panel") } },
    meta: [x.label, y.label], hovertemplate: "%{fullData.name}<br>%{meta[0]}: %{x}<br>%{meta[1]}: %{y}<extra></extra>",
  }));
  const look = layout({ x: "step" }, { compact: true });
  look.xaxis.title = { text: x.id }; look.yaxis.title = { text: y.id }; look.height = 320;
  if (!numeric(x.values)) look.xaxis.type = "category";
  if (!numeric(y.values)) look.yaxis.type = "category";
  await Plotly.react("scatter-chart", traces, look, plotConfig);
  scatterDrawn();
}

async function drawScatter() {
  const x = byId[$("scatter-x").value], y = byId[$("scatter-y").value];
  const node = $("scatter-chart");
  if (!x || !y) { window.Plotly?.purge(node); node.replaceChildren(el("p", { class: "muted", text: "Nothing to plot." })); scatterDrawn(); return; }
  const ax = scatterAxis(x), ay = scatterAxis(y);
  const model = {
    legend: false, x: ax.spec, y: ay.spec,
    traces: runs.map((run, i) => ({ x: [ax.at(x.values[i])], y: [ay.at(y.values[i])], color: colorFor(run.run_id), name: names[i], markers: true, size: 10, legend: false })),
  };
  await staged(node, model, { label: `Scatter of ${y.id} against ${x.id}`, plotly: plotScatter });
}

function plots() {
  const metrics = columns.filter((c) => c.id.startsWith("metrics."));
  options($("parallel-metric"), metrics, url.searchParams.get("color") || metrics[0]?.id);
  const firstParam = columns.find((c) => c.id.startsWith("params.") && varying(c) && numeric(c.values));
  options($("scatter-x"), columns, url.searchParams.get("sx") || firstParam?.id || metrics[1]?.id || columns[0]?.id);
  options($("scatter-y"), columns, url.searchParams.get("sy") || metrics[0]?.id || columns[0]?.id);
  const remember = () => {
    const next = new URL(location.href);
    next.searchParams.set("color", $("parallel-metric").value);
    next.searchParams.set("sx", $("scatter-x").value);
    next.searchParams.set("sy", $("scatter-y").value);
    history.replaceState(null, "", next);
  };
  $("parallel-metric").addEventListener("change", () => { remember(); drawParallel(); });
  for (const id of ["scatter-x", "scatter-y"]) $(id).addEventListener("change", () => { remember(); drawScatter(); });
  drawParallel();
  return drawScatter();
}

function charts() {
  const chosen = (url.searchParams.get("keys") || "").split(",").filter((k) => k in state.metrics);
  const keys = [...chosen, ...Object.keys(state.metrics).filter((k) => !chosen.includes(k))];
  const grid = new ChartGrid($("chart-groups"), {
    groups: [
      { title: "Metrics", keys: keys.filter((k) => !k.startsWith("system/")) },
      { title: "System metrics", keys: keys.filter((k) => k.startsWith("system/")) },
    ],
    runs, settings: chartSettings(), filter: $("chart-filter"),
    buckets: Math.max(50, Math.min(1000, Math.floor(5000 / runs.length))),
  });
  grid.render();
  return grid.drawFirst(chosen.length || 6);
}

// Marks for the benchmarks and tests: every first view painted (tables, parallel
// coordinates, the scatter and the first charts, on canvases while Plotly.js loads), then
// Plotly drawn.
const first = charts();
let scatter = Promise.resolve();
try { scatter = plots(); } catch (error) { toast(error.message, true); }
Promise.all([first.painted, scatter]).then(() => performance.mark("runwell:compare-painted")).catch((error) => toast(error.message, true));
Promise.all([first.interactive, scatterInteractive]).then(() => performance.mark("runwell:compare-interactive"));
window.addEventListener("runwell:theme", () => { drawParallel(); drawScatter(); });
