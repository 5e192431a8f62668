// Shared by every page: API calls (with the CSRF token), DOM building, formatting, colours,
// the theme toggle and keyboard shortcuts. Nothing here writes HTML from data: every stored
// string reaches the page through textContent or an attribute.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";
export const prefix = meta("runwell-prefix");
export const csrfToken = meta("runwell-csrf");
export const UI_API = `${prefix}/ajax-api/2.0/runwell/ui`;
export const AJAX = `${prefix}/ajax-api/2.0/mlflow`;

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  return search.toString();
}

// fetch JSON; a non-2xx answer throws ApiError carrying the server's message.
export async function api(url, { method = "GET", body, params, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-Runwell-CSRF"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const full = params ? `${url}?${query(params)}` : url;
  const response = await fetch(full, {
    method, headers, signal, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let payload = {};
  try { payload = text ? JSON.parse(text) : {}; } catch { payload = { message: text }; }
  if (!response.ok) {
    throw new ApiError(payload.message || `${response.status} ${response.statusText}`, response.status, payload.error_code);
  }
  return payload;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2).toLowerCase(), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function pageState() {
  const node = document.getElementById("page-state");
  return node ? JSON.parse(node.textContent) : {};
}

const pad = (n) => String(n).padStart(2, "0");
export function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(start, end) {
  if (!start || !end || end < start) return "";
  const s = (end - start) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function fmtNumber(value) {
  if (value === null || value === undefined || value === "") return "";
  if (typeof value === "string") return value;
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const text = value.toPrecision(6);
  return text.includes("e") ? text : String(Number(text));
}

export function fmtBytes(size) {
  if (size === null || size === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(size), unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

// Stable colours: a run keeps its colour on every page and chart (a hash of its id).
const PALETTE = ["#2563eb", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#d9480f",
  "#5c940d", "#ae3ec9", "#1971c2", "#f08c00", "#e03131", "#099268", "#6741d9", "#a61e4d", "#3b5bdb"];
const assigned = new Map();
function hashSlot(runId) {
  let hash = 2166136261;
  for (let i = 0; i < runId.length; i += 1) hash = Math.imul(hash ^ runId.charCodeAt(i), 16777619);
  return (hash >>> 0) % PALETTE.length;
}
// A page showing several runs assigns them up front: each takes its hashed colour, or the
// next free one when another run on the page has it, so no two runs share a colour while
// there are colours left, and the same runs get the same colours on every page.
export function assignColors(runIds) {
  const taken = new Set(assigned.values());
  for (const runId of runIds) {
    if (assigned.has(runId)) continue;
    let slot = hashSlot(runId);
    for (let probe = 0; probe < PALETTE.length && taken.has(PALETTE[slot]); probe += 1) slot = (slot + 1) % PALETTE.length;
    assigned.set(runId, PALETTE[slot]);
    taken.add(PALETTE[slot]);
  }
}
export function colorFor(runId) {
  return assigned.get(runId) || PALETTE[hashSlot(runId)];
}

export function paintSwatches(root = document) {
  for (const node of root.querySelectorAll("[data-run-color]")) node.style.background = colorFor(node.dataset.runColor);
}

let toastTimer;
export function toast(message, error = false) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("error", error);
  box.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), error ? 6000 : 2500);
}

export function theme() {
  const set = document.documentElement.dataset.theme;
  if (set) return set;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function initChrome() {
  document.getElementById("theme-toggle")?.addEventListener("click", () => {
    const next = theme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem("runwell:theme", next); } catch { /* ignore */ }
    window.dispatchEvent(new CustomEvent("runwell:theme", { detail: next }));
  });
  for (const button of document.querySelectorAll("[data-back]")) button.addEventListener("click", () => history.back());
  for (const button of document.querySelectorAll("dialog [data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const search = document.querySelector("[role=search] input");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  });
  const runIds = [...document.querySelectorAll("[data-run-color]")].map((node) => node.dataset.runColor);
  assignColors([...runIds].sort());
  paintSwatches();
}

if (!window.__runwellChrome) { window.__runwellChrome = true; initChrome(); }
