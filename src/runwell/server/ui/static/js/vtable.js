// A virtual table: only the rows in view (plus a margin) exist in the DOM, so 10,000 or
// 50,000 runs scroll as smoothly as 50. Rows are divs in a CSS grid; cells come from
// column definitions ({ id, label, width, cell(index) -> Node | string, num, sort }).
import { el } from "./common.js";

export const ROW_HEIGHT = 32;
const OVERSCAN = 12;

export class VirtualTable {
  constructor({ root, body, head, spacer, onSort, rowClass }) {
    Object.assign(this, { root, body, head, spacer, onSort, rowClass });
    this.columns = [];
    this.rows = []; // display entries: { index, depth }
    this.rendered = new Map();
    this.sort = null;
    this.frame = 0;
    body.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(body);
  }

  // Columns first, then rows: setRows draws.
  setColumns(columns, sort) {
    this.columns = columns;
    this.sort = sort;
    this.root.style.setProperty("--columns", columns.map((c) => c.width).join(" "));
    this.head.replaceChildren(...columns.map((column) => this.headerCell(column)));
  }

  headerCell(column) {
    const cell = el("div", { role: "columnheader", title: column.title || column.label });
    if (column.headerNode) { cell.append(column.headerNode()); return cell; }
    if (!column.sort) { cell.append(column.label); return cell; }
    const active = this.sort && this.sort.key === column.sort;
    const arrow = active ? (this.sort.ascending ? " ▲" : " ▼") : "";
    const button = el("button", {
      type: "button", class: "sort",
      "aria-sort": active ? (this.sort.ascending ? "ascending" : "descending") : null,
      onclick: () => this.onSort(column.sort),
    }, column.kind ? el("span", { class: "kind", text: `${column.kind} ` }) : null, column.label + arrow);
    cell.append(button);
    return cell;
  }

  setRows(rows) {
    this.rows = rows;
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.root.setAttribute("aria-rowcount", String(rows.length + 1));
    this.refresh();
  }

  refresh() {
    for (const node of this.rendered.values()) node.remove();
    this.rendered.clear();
    this.render();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  render() {
    const top = this.body.scrollTop;
    const height = this.body.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    for (const [position, node] of this.rendered) {
      if (position < first || position >= last) { node.remove(); this.rendered.delete(position); }
    }
    const fresh = document.createDocumentFragment();
    for (let position = first; position < last; position += 1) {
      if (this.rendered.has(position)) continue;
      const node = this.rowNode(position);
      this.rendered.set(position, node);
      fresh.append(node);
    }
    this.spacer.append(fresh);
  }

  rowNode(position) {
    const entry = this.rows[position];
    const row = el("div", { role: "row", class: `vrow ${this.rowClass(entry)}`, "aria-rowindex": position + 2 });
    row.style.top = `${position * ROW_HEIGHT}px`;
    for (const column of this.columns) {
      const value = column.cell(entry);
      const cell = el("div", { role: "gridcell", class: `vcell${column.num ? " num" : ""}${column.cellClass ? ` ${column.cellClass(entry)}` : ""}` });
      if (value instanceof Node) cell.append(value);
      else if (value !== undefined && value !== null) { cell.textContent = String(value); cell.title = String(value); }
      row.append(cell);
    }
    return row;
  }
}
