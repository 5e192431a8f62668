// Metric charts: downsampled histories from metrics/sampled, painted first on a canvas and
// then drawn with Plotly (plotly_loader.js), x axis by step, wall time or time since the run
// started, log scale, smoothing, stable run colours, zoom that asks the server for the
// detail of the zoomed range.
import { ApiError, UI_API, api, colorFor, query } from "./common.js";
import { paintCanvas } from "./canvas_chart.js";
import { handOver, holdPlotly, loadPlotly, painted } from "./plotly_loader.js";

export function chartSettings() {
  const x = document.getElementById("chart-x"), log = document.getElementById("chart-log");
  const smooth = document.getElementById("chart-smooth"), out = document.getElementById("chart-smooth-value");
  const url = new URL(location.href);
  if (url.searchParams.get("x")) x.value = url.searchParams.get("x");
  log.checked = url.searchParams.get("log") === "1";
  smooth.value = url.searchParams.get("smooth") || "0";
  out.textContent = smooth.value;
  const listeners = [];
  const current = () => ({ x: x.value, log: log.checked, smooth: Number(smooth.value) });
  const changed = () => {
    out.textContent = smooth.value;
    const next = new URL(location.href);
    const s = current();
    next.searchParams.set("x", s.x);
    if (s.log) next.searchParams.set("log", "1"); else next.searchParams.delete("log");
    if (s.smooth) next.searchParams.set("smooth", String(s.smooth)); else next.searchParams.delete("smooth");
    history.replaceState(null, "", next);
    for (const listener of listeners) listener(s);
  };
  for (const input of [x, log]) input.addEventListener("change", changed);
  smooth.addEventListener("change", changed);
  smooth.addEventListener("input", () => { out.textContent = smooth.value; });
  return { current, onChange: (listener) => listeners.push(listener) };
}

export function fetchSampled(runIds, key, { x = "step", buckets = 1000, start, end, signal } = {}) {
  return api(`${UI_API}/metrics/sampled`, { params: { run_ids: runIds.join(","), key, x: x === "step" ? "step" : "time", buckets, start, end }, signal });
}

// Several keys of the same runs in one request (metrics/sampled-batch, NDJSON): a promise per
// key, each settled as soon as its line has arrived.
export function sampledBatch(runIds, keys, { x = "step", buckets = 1000, signal } = {}) {
  const settle = new Map(), promises = new Map();
  for (const key of keys) promises.set(key, new Promise((resolve, reject) => settle.set(key, { resolve, reject })));
  const params = { run_ids: runIds.join(","), keys, x: x === "step" ? "step" : "time", buckets };
  const read = async () => {
    const response = await fetch(`${UI_API}/metrics/sampled-batch?${query(params)}`, { headers: { Accept: "application/x-ndjson" }, signal, credentials: "same-origin" });
    if (!response.ok) {
      const text = await response.text();
      let message = `${response.status} ${response.statusText}`;
      try { message = JSON.parse(text).message || message; } catch { /* not JSON */ }
      throw new ApiError(message, response.status);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += value;
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const payload = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        settle.get(payload.key)?.resolve(payload);
      }
      if (done) break;
    }
    throw new Error("The chart data ended early.");
  };
  read().catch((error) => { for (const { reject } of settle.values()) reject(error); });
  for (const promise of promises.values()) promise.catch(() => {}); // a purged chart may not ask
  return promises;
}

function smoothed(values, weight) {
  if (!weight) return values;
  const out = new Array(values.length);
  let last = 0;
  for (let i = 0; i < values.length; i += 1) {
    last = last * weight + (1 - weight) * values[i];
    out[i] = last / (1 - weight ** (i + 1));
  }
  return out;
}

const MANY_LINES = 10;
const AXIS_TITLES = { step: "step", time: "wall time", relative: "seconds since start" };

function xValues(series, run, mode) {
  if (mode === "step") return series.steps;
  if (mode === "time") return series.timestamps;
  const origin = run?.start_time || series.timestamps[0] || 0;
  return series.timestamps.map((t) => (t - origin) / 1000);
}

// The chart of a metrics/sampled payload as a renderer-neutral model (canvas_chart.js draws
// it first, plotlyTraces turns it into Plotly's): one line per run in the run's colour, the
// raw line kept faint under a smoothed one.
export function chartModel(payload, runsById, settings, { legend = true, compact = false } = {}) {
  const traces = [];
  const drawn = payload.series.filter((s) => s.values.length);
  // Many overlaid runs get hairlines: clearer than a thick tangle, and a software-rastered
  // canvas draws 1 px lines about eight times faster than 1.6 px ones.
  const width = drawn.length > MANY_LINES ? 1 : 1.6;
  for (const series of drawn) {
    const run = runsById[series.run_id] || {};
    const color = colorFor(series.run_id);
    const name = run.name || series.run_id.slice(0, 8);
    const x = xValues(series, run, settings.x);
    const common = { x, name, color, group: series.run_id, markers: series.values.length === 1 };
    if (settings.smooth) traces.push({ ...common, y: series.values, faint: true, legend: false, width: 1, opacity: 0.25 });
    traces.push({ ...common, y: smoothed(series.values, settings.smooth), legend, width });
  }
  return {
    traces, legend,
    x: { type: settings.x === "time" ? "date" : "linear", title: compact ? undefined : AXIS_TITLES[settings.x] },
    y: { type: settings.log ? "log" : "linear" },
  };
}

export function plotlyTraces(model) {
  const date = model.x.type === "date";
  return model.traces.map((t) => ({
    x: date ? t.x.map((v) => new Date(v)) : t.x, y: t.y, name: t.name, type: "scatter",
    mode: t.markers ? "markers" : "lines", legendgroup: t.group, showlegend: t.legend,
    line: { color: t.color, width: t.width }, marker: { color: t.color, size: t.size || 6 }, opacity: t.opacity,
    ...(t.faint ? { hoverinfo: "skip" } : { hovertemplate: "%{fullData.name}<br>%{x}: %{y:.6g}<extra></extra>" }),
  }));
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function layout(settings, { height, title, compact = false } = {}) {
  const grid = css("--border"), text = css("--muted");
  const axis = { gridcolor: grid, zerolinecolor: grid, linecolor: grid, tickfont: { color: text, size: 11 }, automargin: true };
  return {
    height, title: title ? { text: title, font: { size: 13, color: css("--text") } } : undefined,
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: text, size: 11 },
    margin: { l: 48, r: 12, t: title ? 30 : 8, b: 32 }, hovermode: "closest", showlegend: !compact,
    legend: { orientation: "h", y: -0.18, font: { size: 11 } },
    xaxis: { ...axis, type: settings.x === "time" ? "date" : "linear", title: compact ? undefined : { text: AXIS_TITLES[settings.x], font: { size: 11 } } },
    yaxis: { ...axis, type: settings.log ? "log" : "linear" },
  };
}

export const plotConfig = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"] };

function rangeOf(event, mode) {
  if (event["xaxis.autorange"]) return { start: undefined, end: undefined };
  // A drag-zoom reports the range as two keys, Plotly.relayout({"xaxis.range": [a, b]}) as one.
  const low = event["xaxis.range[0]"] ?? event["xaxis.range"]?.[0], high = event["xaxis.range[1]"] ?? event["xaxis.range"]?.[1];
  if (low === undefined || high === undefined || mode === "relative") return null;
  // Plotly shows Date values in local time, and its range strings are local times too.
  const local = (v) => { const text = String(v).replace(" ", "T"); return Date.parse(text.includes("T") ? text : `${text}T00:00`); };
  const value = (v) => (mode === "time" ? local(v) : v);
  return { start: Math.floor(value(low)), end: Math.ceil(value(high)), range: [low, high] };
}

// A chart in two stages: painted on a canvas at once while Plotly is not loaded yet, then
// drawn by Plotly (plotly: a function that draws it and resolves when drawn) once Plotly has
// loaded, the canvas removed. Resolves when what it drew has been painted.
export async function staged(node, model, { label, plotly }) {
  if (window.Plotly) {
    await plotly();
    node.querySelector(":scope > canvas.first-view")?.remove();
  } else {
    paintCanvas(node, model, { label });
    if (!node.dataset.handover) {
      node.dataset.handover = "1";
      node.addEventListener("pointerenter", () => loadPlotly().catch(() => {}), { once: true });
      handOver(async () => {
        delete node.dataset.handover;
        if (!node.isConnected || !node.querySelector(":scope > canvas.first-view")) return;
        await plotly();
        node.querySelector(":scope > canvas.first-view")?.remove();
      });
    }
  }
  await painted();
}

// Buckets for a chart: one per pixel column of its plot (each keeps its minimum and
// maximum), at most `cap` (a page of many runs shares a budget of points among them).
export function bucketsFor(node, cap) {
  const width = (node.clientWidth || 600) - 60;
  return Math.max(50, Math.min(cap, Math.round(width)));
}

// Draw one chart into node; returns a handle to redraw it with new settings or purge it.
// `interactive` resolves once Plotly has taken the chart over.
// `first` may hold the promise of the first payload (one line of a sampledBatch); so may the
// second argument of draw(settings, payload promise).
export function metricChart(node, { key, runs, settings, buckets = 1000, compact = false, onData, first }) {
  const runsById = Object.fromEntries(runs.map((r) => [r.run_id, r]));
  const ids = runs.map((r) => r.run_id);
  let payload = null, controller = null, zoom = {}, alive = true, tookOver, generation = 0;
  const interactive = new Promise((resolve) => { tookOver = resolve; });
  const label = `Chart of ${key}: ${runs.length === 1 ? "1 run" : `${runs.length} runs`}`;
  const plot = async () => {
    const model = chartModel(payload, runsById, settings, { legend: !compact, compact });
    const look = layout(settings, { height: node.clientHeight || 260, compact });
    if (zoom.range) { look.xaxis.range = zoom.range; look.xaxis.autorange = false; }
    await Plotly.react(node, plotlyTraces(model), look, plotConfig);
    tookOver();
    if (!node.dataset.bound) {
      node.dataset.bound = "1";
      node.on("plotly_relayout", (event) => {
        const range = rangeOf(event, settings.x);
        if (!range) return;
        const view = range.range || null;
        // Ask again unless every point of the new range is here already: the data is whole
        // (not sampled) and covers the range (no earlier zoom narrowed it, or it is inside).
        const whole = !payload.series.some((s) => s.sampled);
        const narrowed = zoom.start !== undefined || zoom.end !== undefined;
        const inside = view && range.start >= (zoom.start ?? -Infinity) && range.end <= (zoom.end ?? Infinity);
        if (whole && (!narrowed || inside)) { zoom = { ...zoom, range: view }; return; }
        zoom = { start: range.start, end: range.end, changed: true, range: view };
        draw().catch(() => {});
      });
    }
  };
  const draw = async (current, coming) => {
    settings = current || settings;
    if (coming) first = coming;
    // A zoom is in one axis's units: switching between steps and times forgets it.
    if (payload && payload.x !== (settings.x === "step" ? "step" : "time")) zoom = {};
    controller?.abort();
    controller = new AbortController();
    const release = window.Plotly ? () => {} : holdPlotly();
    const mine = ++generation;
    try {
      if (first) {
        const pending = first;
        first = null;
        const arrived = await pending;
        if (mine !== generation) return payload; // a later draw has taken over
        payload = arrived;
        onData?.(payload);
      }
      if (!payload || payload.x !== (settings.x === "step" ? "step" : "time") || zoom.changed) {
        zoom.changed = false;
        const wanted = { x: settings.x, buckets: bucketsFor(node, buckets), start: zoom.start, end: zoom.end };
        payload = await fetchSampled(ids, key, { ...wanted, signal: controller.signal });
        onData?.(payload);
      }
      if (!alive) return payload;
      const model = chartModel(payload, runsById, settings, { legend: !compact, compact });
      await staged(node, model, { label, plotly: plot });
      return payload;
    } finally { release(); }
  };
  return {
    draw, interactive,
    purge: () => {
      alive = false;
      controller?.abort();
      window.Plotly?.purge(node);
      node.querySelector(":scope > canvas.first-view")?.remove();
      delete node.dataset.bound;
      payload = null;
    },
  };
}
