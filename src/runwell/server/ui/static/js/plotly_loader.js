// When Plotly.js loads. It is 4.8 MB that a cold browser needs over a second to compile and
// run, on the main thread, so pages first paint their charts on a canvas (canvas_chart.js)
// and load Plotly only once every first view in flight has painted (holdPlotly), or at once
// when the user reaches for a chart (loadPlotly). Charts then hand over one at a time, each
// in a task of its own, so the page keeps answering input between them (handOver).
import { toast } from "./common.js";

let pending = 0;
let loading = null;
let loaded;
const ready = new Promise((resolve) => { loaded = resolve; });
const queue = [];
let pumping = false;

// Run fn once the frame painted since this call has been presented.
export function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

export const painted = () => new Promise((resolve) => afterPaint(resolve));

export function loadPlotly() {
  if (window.Plotly) { loaded(window.Plotly); return Promise.resolve(window.Plotly); }
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = document.querySelector('meta[name="runwell-plotly"]').content;
      script.onload = () => { loaded(window.Plotly); resolve(window.Plotly); };
      script.onerror = () => reject(new Error("Plotly.js could not be loaded: charts stay static."));
      document.head.append(script);
    });
    loading.catch((error) => toast(error.message, true));
  }
  return loading;
}

// A first view is being drawn: Plotly waits for it. Returns the release (idempotent).
export function holdPlotly() {
  pending += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pending -= 1;
    if (!pending) afterPaint(() => { if (!pending) loadPlotly().catch(() => {}); });
  };
}

async function pump() {
  if (pumping) return;
  pumping = true;
  while (queue.length) {
    const job = queue.shift();
    try { await job(); } catch { /* the chart reports its own errors */ }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  pumping = false;
}

// Run job (which draws with Plotly) once Plotly has loaded, after the jobs queued before it.
export function handOver(job) {
  ready.then(() => { queue.push(job); pump(); });
}
