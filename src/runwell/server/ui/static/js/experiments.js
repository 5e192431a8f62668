// The experiments list: create, rename, delete and restore through the ajax-api routes, and
// "show runs of selected" for a runs table over several experiments.
import { AJAX, api, prefix, toast } from "./common.js";

const dialog = document.getElementById("experiment-dialog");
const form = document.getElementById("experiment-form");
const nameInput = document.getElementById("experiment-name");
const errorBox = document.getElementById("experiment-error");
let renaming = null;

function openDialog(title, value, experimentId) {
  renaming = experimentId;
  document.getElementById("experiment-dialog-title").textContent = title;
  nameInput.value = value;
  errorBox.hidden = true;
  dialog.showModal();
  nameInput.focus();
  nameInput.select();
}

document.getElementById("create-experiment")?.addEventListener("click", () => openDialog("New experiment", "", null));

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  try {
    if (renaming === null) {
      const created = await api(`${AJAX}/experiments/create`, { method: "POST", body: { name } });
      location.href = `${prefix}/experiments/${encodeURIComponent(created.experiment_id)}`;
    } else {
      await api(`${AJAX}/experiments/update`, { method: "POST", body: { experiment_id: renaming, new_name: name } });
      location.reload();
    }
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
});

const rowOf = (button) => button.closest("tr[data-experiment-id]");

document.getElementById("experiments-table")?.addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const row = rowOf(button);
  const id = row.dataset.experimentId;
  try {
    if (button.classList.contains("rename-experiment")) {
      openDialog("Rename experiment", row.dataset.name, id);
    } else if (button.classList.contains("delete-experiment")) {
      if (!confirm(`Delete experiment "${row.dataset.name}" and its runs? It can be restored later.`)) return;
      await api(`${AJAX}/experiments/delete`, { method: "POST", body: { experiment_id: id } });
      toast("Experiment deleted");
      row.remove();
    } else if (button.classList.contains("restore-experiment")) {
      await api(`${AJAX}/experiments/restore`, { method: "POST", body: { experiment_id: id } });
      toast("Experiment restored");
      location.reload();
    }
  } catch (error) {
    toast(error.message, true);
  }
});

const actions = document.getElementById("experiment-actions");
function selected() {
  return [...document.querySelectorAll(".select-experiment:checked")].map((box) => rowOf(box).dataset.experimentId);
}
document.getElementById("experiments-table")?.addEventListener("change", () => {
  const ids = selected();
  actions.hidden = ids.length === 0;
  document.getElementById("experiment-selection").textContent = `${ids.length} selected`;
});
document.getElementById("compare-experiments")?.addEventListener("click", () => {
  const ids = selected();
  location.href = ids.length === 1 ? `${prefix}/experiments/${ids[0]}` : `${prefix}/runs?experiments=${ids.join(",")}`;
});
document.getElementById("experiment-view")?.addEventListener("change", (event) => event.target.form.submit());
