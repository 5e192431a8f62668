// The runs table of one or several experiments: filter (search grammar, errors inline), sort
// on the server, chosen columns, child runs under their parent, selection for compare and
// delete, live refresh. The view (filter, sort, columns, run view) lives in the URL.
import { AJAX, ApiError, UI_API, api, el, fmtDuration, fmtNumber, fmtTime, pageState, prefix, toast } from "./common.js";
import { ColumnChooser, defaultColumns, loadColumns, saveColumns } from "./columns.js";
import { VirtualTable } from "./vtable.js";

const FIRST_PAGE = 200;
const FULL_PAGE = 50000;
const LIVE_MS = 5000;
const state = pageState();
const url = new URL(location.href);
const view = {
  filter: url.searchParams.get("filter") || "",
  order: url.searchParams.get("order") || "",
  runView: url.searchParams.get("view") || "active",
  group: url.searchParams.get("group") !== "0",
  columns: loadColumns(state.experiment_ids, url.searchParams.get("cols")),
};
let data = null;
let selected = new Set();
const expanded = new Set();
let controller = null;
let busy = false;

const $ = (id) => document.getElementById(id);
const filterInput = $("run-filter");
const filterError = $("run-filter-error");
filterInput.value = view.filter;
$("run-view").value = view.runView;
$("group-children").checked = view.group;

const table = new VirtualTable({
  root: $("runs-table"), body: $("runs-body"), head: $("runs-head"), spacer: $("runs-spacer"),
  onSort: (key) => {
    const [current, direction] = view.order.split(/ (?=ASC$|DESC$)/);
    view.order = current === key && direction !== "ASC" ? `${key} ASC` : `${key} DESC`;
    load();
  },
  rowClass: (entry) => `${selected.has(data.runs.run_id[entry.index]) ? "selected" : ""} ${data.runs.lifecycle_stage[entry.index] === "deleted" ? "deleted" : ""}`,
});

const chooser = new ColumnChooser({
  button: $("column-button"), panel: $("column-panel"), list: $("column-list"),
  search: $("column-search"), reset: $("column-reset"),
  onChange: (columns) => { view.columns = columns; saveColumns(state.experiment_ids, columns); load(); },
});

const quoted = (key) => (/^[A-Za-z0-9_.]+$/.test(key) ? key : `\`${key}\``);
function sortKeyOf(column) {
  const [kind, ...rest] = column.split(".");
  return `${kind}.${quoted(rest.join("."))}`;
}

function writeUrl() {
  const next = new URL(location.href);
  const set = (key, value) => (value ? next.searchParams.set(key, value) : next.searchParams.delete(key));
  set("filter", view.filter);
  set("order", view.order);
  set("view", view.runView === "active" ? "" : view.runView);
  set("group", view.group ? "" : "0");
  if (view.columns === null) next.searchParams.delete("cols");
  else next.searchParams.set("cols", view.columns.join(","));
  history.replaceState(null, "", next);
}

function runLink(index) {
  const runs = data.runs;
  const id = runs.run_id[index];
  return el("a", { href: `${prefix}/runs/${id}`, title: runs.name[index] || id }, runs.name[index] || id.slice(0, 12));
}

function nameCell(entry) {
  const wrap = document.createDocumentFragment();
  const kids = data.children.get(entry.index);
  if (kids && view.group) {
    const id = data.runs.run_id[entry.index];
    const open = expanded.has(id);
    wrap.append(el("button", {
      type: "button", class: "toggle", "aria-expanded": String(open),
      "aria-label": `${open ? "Collapse" : "Expand"} ${kids.length} child runs`,
      onclick: () => { if (open) expanded.delete(id); else expanded.add(id); draw(); },
    }, open ? "▾" : "▸"));
  }
  wrap.append(runLink(entry.index));
  if (kids && view.group) wrap.append(el("span", { class: "kids", text: `(${kids.length})` }));
  return wrap;
}

function selectBox(entry) {
  const id = data.runs.run_id[entry.index];
  return el("input", {
    type: "checkbox", checked: selected.has(id), "aria-label": `Select run ${data.runs.name[entry.index] || id}`,
    onchange: (event) => { if (event.target.checked) selected.add(id); else selected.delete(id); updateSelection(); event.target.closest(".vrow").classList.toggle("selected", event.target.checked); },
  });
}

function headerBox() {
  const all = data && data.count > 0 && selected.size === data.count;
  return el("input", {
    type: "checkbox", checked: all, "aria-label": "Select all runs",
    onchange: (event) => {
      selected = event.target.checked ? new Set(data.runs.run_id) : new Set();
      updateSelection(); draw();
    },
  });
}

function columnsFor() {
  const runs = data.runs;
  const multi = state.experiment_ids.length > 1;
  const fixed = [
    { id: "select", label: "", width: "36px", headerNode: headerBox, cell: selectBox },
    { id: "name", label: "Run", width: "240px", sort: "attributes.run_name", cell: nameCell, cellClass: (e) => (e.depth ? "child" : "") },
    multi && { id: "experiment", label: "Experiment", width: "140px", cell: (e) => state.names[runs.experiment_id[e.index]] || runs.experiment_id[e.index] },
    { id: "status", label: "Status", width: "96px", sort: "attributes.status", cell: (e) => el("span", { class: `status ${runs.status[e.index]}`, text: runs.status[e.index] }) },
    { id: "start", label: "Started", width: "160px", sort: "attributes.start_time", cell: (e) => fmtTime(runs.start_time[e.index]) },
    { id: "duration", label: "Duration", width: "84px", cell: (e) => (runs.status[e.index] === "RUNNING" ? "running" : fmtDuration(runs.start_time[e.index], runs.end_time[e.index])) },
    { id: "user", label: "User", width: "100px", sort: "attributes.user_id", cell: (e) => runs.user[e.index] || runs.user_tag[e.index] || "" },
    { id: "source", label: "Source", width: "130px", cell: (e) => (runs.source[e.index] || "").split(/[\\/]/).pop() },
  ].filter(Boolean);
  const chosen = (view.columns || []).map((column) => {
    const [kind, ...rest] = column.split(".");
    const key = rest.join(".");
    const values = data.columns[column] || [];
    return {
      id: column, label: key, kind: kind.replace(/s$/, ""), width: "120px", num: kind === "metrics",
      sort: sortKeyOf(column), title: column,
      cell: (e) => (kind === "metrics" ? fmtNumber(values[e.index]) : values[e.index] ?? ""),
    };
  });
  return [...fixed, ...chosen];
}

function buildTree() {
  const runs = data.runs;
  const position = new Map(runs.run_id.map((id, index) => [id, index]));
  data.children = new Map();
  data.top = [];
  for (let index = 0; index < data.count; index += 1) {
    const parent = view.group ? position.get(runs.parent[index]) : undefined;
    if (parent === undefined || parent === index) data.top.push(index);
    else {
      if (!data.children.has(parent)) data.children.set(parent, []);
      data.children.get(parent).push(index);
    }
  }
}

function displayRows() {
  const rows = [];
  const visit = (index, depth) => {
    rows.push({ index, depth });
    if (depth < 8 && expanded.has(data.runs.run_id[index])) for (const child of data.children.get(index) || []) visit(child, depth + 1);
  };
  for (const index of data.top) visit(index, 0);
  return rows;
}

function draw() {
  const [key, direction] = view.order.split(/ (?=ASC$|DESC$)/);
  table.setColumns(columnsFor(), view.order ? { key, ascending: direction === "ASC" } : null);
  table.setRows(displayRows());
  const empty = $("runs-empty");
  empty.hidden = data.count > 0;
  if (!data.count) {
    empty.replaceChildren(el("p", { text: view.filter ? "No run matches this filter." : "No runs in this view yet." }),
      el("p", { class: "muted", text: "Runs appear here as soon as a client logs them." }));
  }
  const shown = data.count < data.total ? `${data.count.toLocaleString()} of ${data.total.toLocaleString()}` : data.total.toLocaleString();
  $("run-count").textContent = `${shown} run${data.total === 1 ? "" : "s"}${data.partial ? " (loading the rest…)" : ""}`;
  updateSelection();
}

function updateSelection() {
  const box = $("selection-actions");
  box.hidden = selected.size === 0;
  $("selection-count").textContent = `${selected.size} selected`;
  $("restore-selected").hidden = view.runView === "active";
  $("delete-selected").hidden = view.runView === "deleted";
}

async function fetchTable(limit, signal) {
  return api(`${UI_API}/runs/table`, {
    signal,
    params: {
      experiment_ids: state.experiment_ids, filter: view.filter, order_by: view.order || undefined,
      view: view.runView, limit, columns: (view.columns || []).join(","),
    },
  });
}

async function load({ quiet = false } = {}) {
  writeUrl();
  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  busy = true;
  if (!quiet) $("run-count").textContent = "Loading runs…";
  try {
    let first = await fetchTable(quiet ? FULL_PAGE : FIRST_PAGE, signal);
    if (view.columns === null && first.keys) {
      view.columns = defaultColumns(first.keys);
      if (view.columns.length) first = await fetchTable(quiet ? FULL_PAGE : FIRST_PAGE, signal);
    }
    filterError.hidden = true;
    show(first, first.count < first.total && first.count < FULL_PAGE);
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
    performance.mark("runwell:runs-first-paint");
    if (first.count < first.total && first.count < FULL_PAGE) {
      show(await fetchTable(FULL_PAGE, signal), false);
    }
    performance.mark("runwell:runs-complete");
    if (!quiet && !liveTouched) setLive(data.runs.status.includes("RUNNING"));
  } catch (error) {
    if (error.name === "AbortError") return;
    if (error instanceof ApiError && error.status === 400) {
      filterError.textContent = error.message;
      filterError.hidden = false;
      $("run-count").textContent = "Fix the filter to see runs.";
    } else toast(error.message, true);
  } finally {
    busy = false;
  }
}

function show(payload, partial) {
  data = { ...payload, partial };
  const present = new Set(data.runs.run_id);
  selected = new Set([...selected].filter((id) => present.has(id)));
  buildTree();
  chooser.update(data.keys, view.columns || []);
  draw();
}

let liveTimer = 0;
let liveTouched = false;
function setLive(on) {
  $("live-refresh").checked = on;
  clearInterval(liveTimer);
  if (on) liveTimer = setInterval(() => { if (!busy && document.visibilityState === "visible") load({ quiet: true }); }, LIVE_MS);
}
$("live-refresh").addEventListener("change", (event) => { liveTouched = true; setLive(event.target.checked); });

$("run-filter-form").addEventListener("submit", (event) => {
  event.preventDefault();
  view.filter = filterInput.value.trim();
  view.runView = $("run-view").value;
  load();
});
$("run-view").addEventListener("change", () => { view.runView = $("run-view").value; selected.clear(); load(); });
$("group-children").addEventListener("change", (event) => { view.group = event.target.checked; writeUrl(); buildTree(); draw(); });

$("compare-selected").addEventListener("click", () => {
  if (selected.size < 2 || selected.size > 100) { toast("Select 2 to 100 runs to compare.", true); return; }
  location.href = `${prefix}/compare?runs=${[...selected].join(",")}`;
});

async function changeRuns(action, verb) {
  const ids = [...selected];
  if (!confirm(`${verb} ${ids.length} run${ids.length === 1 ? "" : "s"}?`)) return;
  try {
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(ids.slice(i, i + 8).map((run_id) => api(`${AJAX}/runs/${action}`, { method: "POST", body: { run_id } })));
    }
    toast(`${verb}d ${ids.length} run${ids.length === 1 ? "" : "s"}`);
    selected.clear();
  } catch (error) { toast(error.message, true); }
  load({ quiet: true });
}
$("delete-selected").addEventListener("click", () => changeRuns("delete", "Delete"));
$("restore-selected").addEventListener("click", () => changeRuns("restore", "Restore"));

load();
