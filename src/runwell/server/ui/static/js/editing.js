// Editors shared by the run and registry pages: a Markdown description (previewed and shown
// as the server renders it, raw HTML refused) and a key/value tag table.
import { UI_API, api, el, toast } from "./common.js";

const $ = (id) => document.getElementById(id);

async function rendered(text) {
  const { html } = await api(`${UI_API}/markdown`, { method: "POST", body: { text } });
  return html;
}

// The server's markdown renderer escapes raw HTML and drops script links, so its output is
// the one string inserted as markup.
function showMarkdown(node, html) {
  if (html) node.innerHTML = html;
  else node.replaceChildren(el("p", { class: "muted", text: "No description." }));
}

export function descriptionEditor(save) {
  const view = $("description-view"), form = $("description-form"), text = $("description-text");
  const preview = $("description-preview");
  if (!view || !form) return;
  let saved = text.value;
  const close = () => { form.hidden = true; view.hidden = false; preview.hidden = true; };
  $("edit-description").addEventListener("click", () => { form.hidden = false; view.hidden = true; text.focus(); });
  $("cancel-description").addEventListener("click", () => { text.value = saved; close(); });
  $("preview-description").addEventListener("click", async () => {
    try { showMarkdown(preview, await rendered(text.value)); preview.hidden = false; } catch (error) { toast(error.message, true); }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await save(text.value);
      saved = text.value;
      showMarkdown(view, await rendered(saved));
      close();
      toast("Description saved");
    } catch (error) { toast(error.message, true); }
  });
}

export function tagEditor({ set, remove }) {
  const tableBody = $("tags-table")?.querySelector("tbody");
  const form = $("tag-form");
  if (!tableBody || !form) return;
  const key = $("tag-key"), value = $("tag-value"), errorBox = $("tag-error");
  const open = (k = "", v = "") => {
    form.hidden = false; errorBox.hidden = true;
    key.value = k; value.value = v; key.readOnly = Boolean(k);
    (k ? value : key).focus();
  };
  $("add-tag").addEventListener("click", () => open());
  $("cancel-tag").addEventListener("click", () => { form.hidden = true; });
  const rowFor = (k) => [...tableBody.rows].find((row) => row.dataset.key === k);
  const actions = () => el("td", { class: "actions" },
    el("button", { type: "button", class: "link edit-tag", text: "Edit" }), " ",
    el("button", { type: "button", class: "link danger delete-tag", text: "Delete" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const k = key.value.trim();
    try {
      await set(k, value.value);
      let row = rowFor(k);
      if (!row) {
        row = el("tr", { dataset: { key: k } }, el("td", { class: "mono" }, k), el("td", { class: "mono wrap" }), actions());
        tableBody.append(row);
      }
      row.cells[1].textContent = value.value;
      $("no-tags")?.remove();
      form.hidden = true;
      toast("Tag saved");
    } catch (error) { errorBox.textContent = error.message; errorBox.hidden = false; }
  });
  tableBody.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    const k = row.dataset.key;
    if (button.classList.contains("edit-tag")) open(k, row.cells[1].textContent);
    if (button.classList.contains("delete-tag")) {
      if (!confirm(`Delete tag "${k}"?`)) return;
      try { await remove(k); row.remove(); toast("Tag deleted"); } catch (error) { toast(error.message, true); }
    }
  });
}

export function tabs() {
  const list = document.querySelector("[role=tablist]");
  if (!list) return;
  const all = [...list.querySelectorAll("[role=tab]")];
  const select = (tab, focus = false) => {
    for (const other of all) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      other.tabIndex = on ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    const name = tab.id.replace(/^tab-/, "");
    if (!location.hash.startsWith(`#${name}`)) history.replaceState(null, "", name === "overview" ? location.pathname + location.search : `#${name}`);
    window.dispatchEvent(new CustomEvent("runwell:tab", { detail: name }));
  };
  for (const tab of all) tab.addEventListener("click", () => select(tab));
  list.addEventListener("keydown", (event) => {
    const index = all.indexOf(document.activeElement);
    if (index < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) { event.preventDefault(); select(all[(index + step + all.length) % all.length], true); }
  });
  const wanted = location.hash.slice(1).split(":")[0];
  select(all.find((t) => t.id === `tab-${wanted}`) || all[0]);
}
