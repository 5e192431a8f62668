// The first view of a chart, drawn on a <canvas> while Plotly.js (4.8 MB) loads: the same
// downsampled lines (or markers), axes, grid, axis titles and legend that the Plotly chart
// then shows, in the page's colours. It is a picture, not a widget: charts.js hands the node
// over to Plotly (hover, zoom, pan) as soon as Plotly has loaded, and removes the canvas.
//
// A model: { traces: [{ x, y, color, name, width, opacity, markers, size, legend }],
//   x: { type: "linear" | "date" | "category", title, range, categories },
//   y: { type: "linear" | "log" | "category", title, categories }, legend }
// x and y hold numbers (epoch ms on a date axis, indices on a category axis).
import { categoryTicks, linearTicks, logTicks, timeTicks } from "./ticks.js";

const FONT_SIZE = 11;
const MARGIN = { left: 48, right: 12, top: 8, bottom: 32 };

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function extent(traces, axis, log) {
  let low = Infinity, high = -Infinity;
  for (const trace of traces) {
    for (const v of trace[axis]) {
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return low <= high ? [low, high] : null;
}

// The shown range of an axis, in its drawing units (log10 for log axes); y is padded by 5%
// each side as Plotly pads it, x only when markers are drawn.
function range(model, axis, padded) {
  const spec = model[axis], log = spec.type === "log";
  if (spec.type === "category") return [-0.5, Math.max(0, (spec.categories?.length || 1) - 0.5)];
  let found = axis === "x" && spec.range ? [...spec.range] : extent(model.traces, axis, log);
  if (!found) return [0, 1];
  if (log) found = found.map(Math.log10);
  let [low, high] = found;
  if (low === high) { const d = log ? 0.5 : Math.abs(low) * 0.1 || 1; low -= d; high += d; } else if (padded && !(axis === "x" && spec.range)) {
    const pad = (high - low) * 0.05; low -= pad; high += pad;
  }
  return [low, high];
}

// As many ticks as Plotly aims for: one per 40 px of a y axis or 80 px of an x axis, 5 to 10.
function ticksOf(spec, [low, high], pixels, spacing) {
  const target = Math.min(9, Math.max(4, pixels / spacing)) + 1;
  if (spec.type === "date") return timeTicks(low, high, target);
  if (spec.type === "log") return logTicks(low, high, target);
  if (spec.type === "category") return categoryTicks(spec.categories || [], target);
  return linearTicks(low, high, target);
}

const short = (text, n = 40) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

// Legend items in rows under the plot, as Plotly lays a horizontal legend out: a 30 px line
// sample, the name 40 px from the item's start. Returns { items: [{ trace, x, row }], rows }.
function legendLayout(ctx, traces, width) {
  const items = [];
  let x = 0, row = 0;
  for (const trace of traces) {
    if (!trace.legend) continue;
    const w = 40 + ctx.measureText(short(trace.name)).width + 6;
    if (x && x + w > width) { x = 0; row += 1; }
    items.push({ trace, x, row });
    x += w;
  }
  return { items, rows: items.length ? row + 1 : 0 };
}

// Where the plot area goes, with the margins Plotly gives the same layout (charts.js): 48 px
// left (more for long labels or an axis title), 12 right, 8 top, 32 below; a legend sits
// 18% of the plot's height under it, as `legend.y = -0.18` puts it.
function geometry(ctx, model, width, height) {
  const markers = model.traces.some((t) => t.markers);
  const xr = range(model, "x", markers), yr = range(model, "y", true);
  const legend = model.legend ? legendLayout(ctx, model.traces, width - MARGIN.left - MARGIN.right) : { items: [], rows: 0 };
  const date = model.x.type === "date" ? 13 : 0;
  const labels = ticksOf(model.y, yr, height - 60, 40).map((t) => ctx.measureText(t.label).width);
  const labelWidth = Math.max(0, ...labels);
  const left = Math.max(MARGIN.left, labelWidth + 8 + (model.y.title ? 18 : 0));
  const legendHeight = legend.rows ? 29 + (legend.rows - 1) * 19 : 0;
  const plotHeight = legend.rows
    ? (height - MARGIN.top - legendHeight - 8) / 1.18
    : height - MARGIN.top - MARGIN.bottom - date - (model.x.title ? 5 : 0);
  const plot = { left, top: MARGIN.top, w: Math.max(10, width - MARGIN.right - left), h: Math.max(10, plotHeight) };
  plot.right = plot.left + plot.w;
  plot.bottom = plot.top + plot.h;
  return {
    plot, xr, yr, legend, labelWidth,
    xTitleTop: plot.bottom + (legend.rows ? 33 : 22) + date,
    legendTop: plot.bottom + 0.18 * plot.h,
    xTicks: ticksOf(model.x, xr, plot.w, 80),
    yTicks: ticksOf(model.y, yr, plot.h, 40),
  };
}

function drawAxes(ctx, model, g, colours) {
  const { plot, xr, yr } = g;
  ctx.lineWidth = 1;
  ctx.strokeStyle = colours.grid;
  ctx.fillStyle = colours.text;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (const tick of g.yTicks) {
    const y = Math.round(plot.bottom - ((tick.value - yr[0]) / (yr[1] - yr[0])) * plot.h) + 0.5;
    ctx.beginPath(); ctx.moveTo(plot.left, y); ctx.lineTo(plot.right, y); ctx.stroke();
    ctx.fillText(tick.label, plot.left - 4, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const tick of g.xTicks) {
    const x = Math.round(plot.left + ((tick.value - xr[0]) / (xr[1] - xr[0])) * plot.w) + 0.5;
    if (x < plot.left - 1 || x > plot.right + 1) continue;
    ctx.beginPath(); ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.bottom); ctx.stroke();
    ctx.fillText(short(tick.label, 16), x, plot.bottom + 5);
    if (tick.sub) ctx.fillText(tick.sub, x, plot.bottom + 5 + 13);
  }
  if (model.x.title) ctx.fillText(model.x.title, plot.left + plot.w / 2, g.xTitleTop);
  if (model.y.title) {
    ctx.save();
    ctx.translate(plot.left - g.labelWidth - 14, plot.top + plot.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(model.y.title, 0, 0);
    ctx.restore();
  }
}

function strokeTrace(ctx, trace, px, py) {
  ctx.beginPath();
  let open = false;
  for (let i = 0; i < trace.x.length; i += 1) {
    const x = px(trace.x[i]), y = py(trace.y[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) { open = false; continue; }
    if (open) ctx.lineTo(x, y); else { ctx.moveTo(x, y); open = true; }
  }
  ctx.stroke();
}

function markTrace(ctx, trace, px, py, outline) {
  const radius = (trace.size || 6) / 2;
  for (let i = 0; i < trace.x.length; i += 1) {
    const x = px(trace.x[i]), y = py(trace.y[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.fill();
    if (trace.size > 6) { ctx.strokeStyle = outline; ctx.lineWidth = 1; ctx.stroke(); }
  }
}

// The traces, clipped to the plot area; returns how many were drawn (faint copies not counted).
function drawTraces(ctx, model, g, colours) {
  const { plot, xr, yr } = g;
  const log = model.y.type === "log";
  const px = (v) => plot.left + ((v - xr[0]) / (xr[1] - xr[0])) * plot.w;
  const py = (v) => plot.bottom - (((log ? (v > 0 ? Math.log10(v) : NaN) : v) - yr[0]) / (yr[1] - yr[0])) * plot.h;
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.left, plot.top, plot.w, plot.h);
  ctx.clip();
  ctx.lineJoin = "bevel";
  let drawn = 0;
  for (const trace of model.traces) {
    ctx.globalAlpha = trace.opacity ?? 1;
    ctx.strokeStyle = ctx.fillStyle = trace.color;
    ctx.lineWidth = trace.width || 1.6;
    if (trace.markers) markTrace(ctx, trace, px, py, colours.panel); else strokeTrace(ctx, trace, px, py);
    if (!trace.faint) drawn += 1;
  }
  ctx.restore();
  return drawn;
}

function drawLegend(ctx, g, colours) {
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  for (const { trace, x, row } of g.legend.items) {
    const y = g.legendTop + 14.5 + row * 19, x0 = g.plot.left + x;
    ctx.strokeStyle = trace.color;
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x0 + 5, y); ctx.lineTo(x0 + 35, y); ctx.stroke();
    ctx.fillStyle = colours.text;
    ctx.fillText(short(trace.name), x0 + 40, y);
  }
}

// What each node shows, to paint it again at a new size until Plotly takes it over.
const views = new WeakMap();
let resizing = null;
function repaintAll() {
  cancelAnimationFrame(resizing);
  resizing = requestAnimationFrame(() => {
    for (const canvas of document.querySelectorAll("canvas.first-view")) {
      const view = views.get(canvas.parentElement);
      if (view) paintCanvas(canvas.parentElement, view.model, view.options);
    }
  });
}

// Paint model into node (at its CSS size, sharp on high-density screens); returns the canvas.
export function paintCanvas(node, model, options = {}) {
  const { label = "Chart" } = options;
  if (resizing === null) { resizing = 0; window.addEventListener("resize", repaintAll); }
  views.set(node, { model, options });
  let canvas = node.querySelector(":scope > canvas.first-view");
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.className = "first-view";
    canvas.setAttribute("role", "img");
    node.append(canvas);
  }
  canvas.setAttribute("aria-label", label);
  const width = Math.max(120, node.clientWidth), height = Math.max(120, node.clientHeight || 260);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = `${FONT_SIZE}px ${getComputedStyle(node).fontFamily}`;
  const colours = { grid: css("--border"), text: css("--muted"), panel: css("--panel") };
  const g = geometry(ctx, model, width, height);
  drawAxes(ctx, model, g, colours);
  const drawn = drawTraces(ctx, model, g, colours);
  drawLegend(ctx, g, colours);
  canvas.dataset.traces = String(drawn);
  canvas.dataset.plot = [g.plot.left, g.plot.top, g.plot.right, g.plot.bottom].map(Math.round).join(",");
  return canvas;
}
