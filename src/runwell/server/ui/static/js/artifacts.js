// The artifact browser: a lazily loaded tree (sizes, download links, arrow-key navigation)
// and previews of the selected file. Preview data is JSON and goes into the page as text;
// images and HTML load from artifacts/raw, HTML only inside a sandboxed iframe.
import { UI_API, api, el, fmtBytes, prefix, toast } from "./common.js";

export function artifactBrowser(root) {
  const owner = root.dataset.runId ? { run_id: root.dataset.runId } : { model_id: root.dataset.modelId };
  const tree = root.querySelector(".artifact-tree"), pane = root.querySelector(".artifact-preview");
  const qs = (path) => new URLSearchParams({ ...owner, path }).toString();
  const download = (path) => (owner.run_id ? `${prefix}/get-artifact?${qs(path)}` : `${UI_API}/artifacts/raw?${qs(path)}`);
  let current = null;

  async function list(path) {
    const { files = [] } = await api(`${UI_API}/artifacts/list`, { params: { ...owner, path } });
    return files;
  }

  function node(file, level) {
    const name = file.path.split("/").pop();
    const button = el("button", { type: "button", class: "node", role: "treeitem", "aria-level": level, tabindex: -1, dataset: { path: file.path } },
      el("span", { "aria-hidden": "true", text: file.is_dir ? "▸" : "·" }), el("span", { class: "label", text: name, title: file.path }),
      file.is_dir ? null : el("span", { class: "size", text: fmtBytes(file.file_size) }));
    const item = el("li", { role: "none" }, button);
    if (file.is_dir) {
      button.setAttribute("aria-expanded", "false");
      button.addEventListener("click", () => toggle(item, button, file.path, level));
    } else button.addEventListener("click", () => open(file.path, button));
    return item;
  }

  async function toggle(item, button, path, level) {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    button.firstChild.textContent = open ? "▸" : "▾";
    if (open) { item.querySelector("ul")?.remove(); return; }
    try {
      const files = await list(path);
      item.append(el("ul", { role: "group" }, files.map((f) => node(f, level + 1))));
    } catch (error) { toast(error.message, true); }
  }

  async function open(path, button) {
    for (const other of tree.querySelectorAll("[aria-selected=true]")) other.setAttribute("aria-selected", "false");
    button?.setAttribute("aria-selected", "true");
    current = path;
    history.replaceState(null, "", `#artifacts:${encodeURIComponent(path)}`);
    pane.replaceChildren(el("p", { class: "loading", text: "Loading preview…" }));
    try {
      const data = await api(`${UI_API}/artifacts/preview`, { params: { ...owner, path } });
      if (current === path) pane.replaceChildren(head(path), ...body(path, data).filter(Boolean));
    } catch (error) { pane.replaceChildren(head(path), el("p", { class: "inline-error", text: error.message })); }
  }

  const head = (path) => el("div", { class: "preview-head" }, el("h2", { text: path }),
    el("a", { href: download(path), download: path.split("/").pop(), text: "Download" }));

  function table(columns, rows) {
    return el("div", { class: "table-wrap" }, el("table", { class: "data compact preview-table" },
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", { class: "mono", text: c })))))));
  }

  function body(path, data) {
    const more = data.truncated ? el("p", { class: "muted", text: "Preview truncated: download the file for all of it." }) : null;
    switch (data.kind) {
      case "image": return [el("img", { src: `${UI_API}/artifacts/raw?${qs(path)}`, alt: path })];
      case "html": return [el("iframe", { sandbox: "", src: `${UI_API}/artifacts/raw?${qs(path)}`, title: `HTML preview of ${path}`, referrerpolicy: "no-referrer" })];
      case "table": return [table(data.columns, data.rows), data.total_rows !== undefined ? el("p", { class: "muted", text: `${data.total_rows} rows in all.` }) : null, more];
      case "mlmodel": return mlmodel(data);
      case "binary": return [el("p", { class: "muted", text: "Binary file: no preview. Download it to open it." })];
      case "message": return [el("p", { class: "muted", text: data.text })];
      default: return [el("pre", { class: `preview-${data.kind}`, text: data.text }), more];
    }
  }

  function mlmodel(data) {
    const parts = [el("h3", { text: "Flavors" })];
    parts.push(el("ul", { class: "plain" }, data.flavors.map((f) => el("li", {}, el("strong", { text: f.name }), " ",
      Object.entries(f.details).map(([k, v]) => el("span", { class: "chip", text: `${k}: ${v}` }))))));
    for (const [title, fields] of [["Inputs", data.inputs], ["Outputs", data.outputs], ["Params", data.params]]) {
      if (!fields.length) continue;
      parts.push(el("h3", { text: `Signature ${title.toLowerCase()}` }), table(["name", "type", "dtype", "shape", "required"], fields.map((f) => [f.name, f.type, f.dtype, f.shape, f.required])));
    }
    if (data.requirements) parts.push(el("h3", { text: "Requirements" }), el("pre", { text: data.requirements }));
    const info = Object.entries(data.info);
    if (info.length) parts.push(el("h3", { text: "Details" }), table(["field", "value"], info));
    parts.push(el("details", {}, el("summary", { text: "MLmodel file" }), el("pre", { text: data.text })));
    return parts;
  }

  tree.addEventListener("keydown", (event) => {
    const items = [...tree.querySelectorAll("button.node")];
    const index = items.indexOf(document.activeElement);
    if (index < 0) return;
    const target = items[index];
    const move = (i) => { event.preventDefault(); items[Math.max(0, Math.min(items.length - 1, i))].focus(); };
    if (event.key === "ArrowDown") move(index + 1);
    else if (event.key === "ArrowUp") move(index - 1);
    else if (event.key === "ArrowRight" && target.getAttribute("aria-expanded") === "false") { event.preventDefault(); target.click(); }
    else if (event.key === "ArrowLeft" && target.getAttribute("aria-expanded") === "true") { event.preventDefault(); target.click(); }
  });

  async function start() {
    try {
      const files = await list("");
      if (!files.length) { tree.replaceChildren(el("p", { class: "muted", text: "No artifacts." })); return; }
      const ul = el("ul", { role: "group" }, files.map((f) => node(f, 1)));
      tree.replaceChildren(ul);
      ul.querySelector("button.node").tabIndex = 0;
      const wanted = decodeURIComponent(location.hash.split("#artifacts:")[1] || "");
      if (wanted) open(wanted, null);
    } catch (error) { tree.replaceChildren(el("p", { class: "inline-error", text: error.message })); }
  }
  start();
}
