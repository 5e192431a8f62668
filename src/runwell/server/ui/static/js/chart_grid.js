// A grid of metric charts that stays usable with thousands of keys: cards are created a page
// at a time, a chart is drawn only when its card scrolls into view (a canvas first, then
// Plotly: charts.js), and at most MAX_LIVE charts exist at once (the ones furthest out of
// view are purged and redrawn on return).
import { el, fmtNumber, prefix } from "./common.js";
import { bucketsFor, metricChart, sampledBatch } from "./charts.js";

const PAGE = 24;
const MAX_LIVE = 30;

export class ChartGrid {
  constructor(container, { groups, runs, settings, filter, buckets = 1000 }) {
    Object.assign(this, { container, groups, runs, settings, filter, buckets });
    this.limits = groups.map(() => PAGE);
    this.live = new Map(); // card -> handle
    this.visible = new Set();
    this.observer = new IntersectionObserver((entries) => this.seen(entries), { rootMargin: "300px" });
    let axis = settings.current().x === "step";
    settings.onChange((current) => {
      // A new x axis needs new data: one request for every drawn chart.
      const cards = [...this.live.keys()];
      const batch = axis !== (current.x === "step") && cards.length > 1
        ? sampledBatch(this.runs.map((r) => r.run_id), cards.map((card) => card.key), { x: current.x, buckets: bucketsFor(cards[0].chart, this.buckets) })
        : new Map();
      axis = current.x === "step";
      for (const [card, handle] of this.live) handle.draw(current, batch.get(card.key)).catch(() => {});
    });
    filter?.addEventListener("input", () => { this.limits = groups.map(() => PAGE); this.render(); });
    window.addEventListener("runwell:theme", () => { for (const handle of this.live.values()) handle.draw().catch(() => {}); });
  }

  keysOf(group) {
    const needle = (this.filter?.value || "").trim().toLowerCase();
    return needle ? group.keys.filter((k) => k.toLowerCase().includes(needle)) : group.keys;
  }

  render() {
    for (const handle of this.live.values()) handle.purge();
    this.live.clear();
    this.visible.clear();
    this.observer.disconnect();
    const sections = [];
    this.groups.forEach((group, index) => {
      const keys = this.keysOf(group);
      if (!keys.length) return;
      const shown = keys.slice(0, this.limits[index]);
      const grid = el("div", { class: "chart-grid" }, shown.map((key) => this.card(key)));
      const section = el("section", { class: "chart-group", "aria-label": group.title },
        el("h2", {}, group.title, " ", el("span", { class: "count", text: String(keys.length) })), grid);
      if (keys.length > shown.length) {
        section.append(el("button", {
          type: "button", class: "show-more", text: `Show ${Math.min(PAGE, keys.length - shown.length)} more of ${keys.length - shown.length}`,
          onclick: () => { this.limits[index] += PAGE; this.render(); },
        }));
      }
      sections.push(section);
    });
    if (!sections.length) sections.push(el("div", { class: "empty" }, el("p", { text: "No metric to chart." })));
    this.container.replaceChildren(...sections);
  }

  card(key) {
    const ids = this.runs.map((r) => r.run_id).join(",");
    const note = el("span", { class: "muted" });
    const chart = el("div", { class: "chart", dataset: { key } }, el("div", { class: "placeholder", text: "Chart loads when visible" }));
    const card = el("div", { class: "chart-card" },
      el("h3", {}, el("a", { href: `${prefix}/metric?runs=${ids}&key=${encodeURIComponent(key)}`, title: key, text: key }), note), chart);
    card.chart = chart;
    card.note = note;
    card.key = key;
    this.observer.observe(card);
    return card;
  }

  seen(entries) {
    const shown = [];
    for (const entry of entries) {
      if (entry.isIntersecting) { this.visible.add(entry.target); shown.push(entry.target); } else this.visible.delete(entry.target);
    }
    this.drawAll(shown);
    this.evict();
  }

  // Draw cards, their data fetched in one request (a line per key, each chart drawn as its
  // line arrives); returns the cards' draw promises.
  drawAll(cards) {
    const fresh = cards.filter((card) => !this.live.has(card));
    let batch = new Map();
    if (fresh.length > 1) {
      const settings = this.settings.current();
      batch = sampledBatch(this.runs.map((r) => r.run_id), fresh.map((card) => card.key), { x: settings.x, buckets: bucketsFor(fresh[0].chart, this.buckets) });
    }
    return cards.map((card) => this.draw(card, batch.get(card.key)));
  }

  draw(card, first) {
    if (this.live.has(card)) return this.live.get(card).promise;
    card.chart.replaceChildren();
    const handle = metricChart(card.chart, {
      key: card.key, runs: this.runs, settings: this.settings.current(), buckets: this.buckets, compact: true, first,
      onData: (payload) => {
        const total = payload.series.reduce((sum, s) => sum + s.total, 0);
        const sampled = payload.series.some((s) => s.sampled);
        card.note.textContent = `${fmtNumber(total)} points${sampled ? " (sampled)" : ""}`;
      },
    });
    handle.promise = handle.draw().catch((error) => { card.note.textContent = error.message; });
    this.live.set(card, handle);
    return handle.promise;
  }

  // Draw the first n cards now, whether visible or not (the compare page's overlaid charts):
  // `painted` resolves when their first views show, `interactive` when Plotly drew them all.
  drawFirst(n) {
    const cards = [...this.container.querySelectorAll(".chart-card")].slice(0, n);
    const painted = Promise.all(this.drawAll(cards));
    return { painted, interactive: Promise.all(cards.map((card) => this.live.get(card).interactive)) };
  }

  evict() {
    if (this.live.size <= MAX_LIVE) return;
    for (const [card, handle] of this.live) {
      if (this.live.size <= MAX_LIVE) break;
      if (this.visible.has(card)) continue;
      handle.purge();
      this.live.delete(card);
      card.chart.replaceChildren(el("div", { class: "placeholder", text: "Chart loads when visible" }));
    }
  }
}
