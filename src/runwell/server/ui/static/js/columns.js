// The column chooser of the runs table: pick metrics, params and tags to show. The choice is
// remembered per experiment (localStorage) and written into the URL, which wins when shared.
import { el } from "./common.js";

const storageKey = (experimentIds) => `runwell:columns:${experimentIds.join(",")}`;

export function loadColumns(experimentIds, urlValue) {
  if (urlValue !== null) return urlValue ? urlValue.split(",").filter(Boolean) : [];
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(experimentIds)) || "null");
    return Array.isArray(saved) ? saved : null;
  } catch { return null; }
}

export function saveColumns(experimentIds, columns) {
  try {
    if (columns === null) localStorage.removeItem(storageKey(experimentIds));
    else localStorage.setItem(storageKey(experimentIds), JSON.stringify(columns));
  } catch { /* storage unavailable: the URL still holds the choice */ }
}

export function defaultColumns(keys) {
  const metrics = keys.metrics.filter((k) => !k.startsWith("system/")).slice(0, 6).map((k) => `metrics.${k}`);
  const params = keys.params.slice(0, 6).map((k) => `params.${k}`);
  return [...metrics, ...params];
}

export class ColumnChooser {
  constructor({ button, panel, list, search, reset, onChange }) {
    Object.assign(this, { button, panel, list, search, reset, onChange });
    this.keys = { metrics: [], params: [], tags: [] };
    this.chosen = [];
    button.addEventListener("click", () => this.toggle());
    search.addEventListener("input", () => this.draw());
    reset.addEventListener("click", () => this.onChange(null));
    document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !panel.hidden) this.toggle(false); });
    document.addEventListener("click", (event) => {
      if (!panel.hidden && !panel.contains(event.target) && event.target !== button) this.toggle(false);
    });
  }

  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) { this.draw(); this.search.focus(); }
  }

  update(keys, chosen) {
    this.keys = keys;
    this.chosen = chosen;
    if (!this.panel.hidden) this.draw();
  }

  draw() {
    const needle = this.search.value.trim().toLowerCase();
    const groups = [];
    for (const kind of ["metrics", "params", "tags"]) {
      const keys = this.keys[kind].filter((k) => !needle || k.toLowerCase().includes(needle));
      if (!keys.length) continue;
      const shown = keys.slice(0, 300);
      groups.push(el("h4", { text: `${kind} (${keys.length})` }));
      for (const key of shown) {
        const id = `${kind}.${key}`;
        const box = el("input", { type: "checkbox", checked: this.chosen.includes(id) });
        box.addEventListener("change", () => {
          const next = box.checked ? [...this.chosen, id] : this.chosen.filter((c) => c !== id);
          this.onChange(next);
        });
        groups.push(el("label", {}, box, key));
      }
      if (keys.length > shown.length) groups.push(el("p", { class: "muted", text: `${keys.length - shown.length} more: refine the search` }));
    }
    if (!groups.length) groups.push(el("p", { class: "muted", text: "No matching columns." }));
    this.list.replaceChildren(...groups);
  }
}
