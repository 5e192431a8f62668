// Parallel coordinates in plain SVG (Plotly's parcoords needs WebGL, which many headless and
// remote browsers lack): one vertical axis per dimension, one polyline per run, coloured by
// the last dimension (the metric) from low (blue) to high (yellow).
const NS = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs = {}, text) => {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};
const RAMP = ["#3b4cc0", "#4f89d8", "#6fb8d8", "#9fd3a8", "#d9d36b", "#f2b448"];

function rampColor(t) {
  if (!Number.isFinite(t)) return "#888";
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  return RAMP[Math.min(RAMP.length - 1, Math.round(x))];
}

const shortText = (text, n = 14) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

// dims: [{ label, values: number[] (NaN = missing), ticktext?: string[] }]; names: run names
export function parallelCoordinates(node, dims, names, colors) {
  const width = Math.max(node.clientWidth, 320), height = 320;
  const pad = { top: 34, bottom: 24, left: 50, right: 50 };
  const svg = svgEl("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Parallel coordinates of params and a metric" });
  const step = dims.length > 1 ? (width - pad.left - pad.right) / (dims.length - 1) : 0;
  const scales = dims.map((dim) => {
    const finite = dim.values.filter(Number.isFinite);
    const low = Math.min(...finite), high = Math.max(...finite);
    const span = high - low || 1;
    return (v) => (Number.isFinite(v) ? pad.top + (1 - (v - low) / span) * (height - pad.top - pad.bottom) : null);
  });
  const last = dims[dims.length - 1];
  const lastFinite = last.values.filter(Number.isFinite);
  const low = Math.min(...lastFinite), high = Math.max(...lastFinite);
  names.forEach((name, run) => {
    const points = dims.map((dim, i) => [pad.left + i * step, scales[i](dim.values[run])]).filter((p) => p[1] !== null);
    if (points.length < 2) return;
    const colour = colors?.[run] || rampColor((last.values[run] - low) / (high - low || 1));
    const line = svgEl("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour, "stroke-width": 1.6, opacity: 0.85 });
    line.append(svgEl("title", {}, name));
    svg.append(line);
  });
  dims.forEach((dim, i) => {
    const x = pad.left + i * step;
    svg.append(svgEl("line", { x1: x, x2: x, y1: pad.top, y2: height - pad.bottom, stroke: "currentColor", opacity: 0.35 }));
    const title = svgEl("text", { x, y: pad.top - 14, "text-anchor": "middle", "font-size": 11, fill: "currentColor" }, shortText(dim.label, 18));
    title.append(svgEl("title", {}, dim.label));
    svg.append(title);
    const finite = dim.values.filter(Number.isFinite);
    if (!finite.length) return;
    const ticks = dim.ticktext ? dim.ticktext.map((t, v) => [v, t]) : [[Math.min(...finite)], [Math.max(...finite)]].map(([v]) => [v, String(Number(v.toPrecision(4)))]);
    for (const [v, label] of ticks) {
      const y = scales[i](v);
      svg.append(svgEl("text", { x: x + 5, y: y + 4, "font-size": 10, fill: "currentColor", opacity: 0.75 }, shortText(label)));
    }
  });
  node.replaceChildren(svg);
}
