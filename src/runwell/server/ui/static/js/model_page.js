// A registered model or one of its versions: description, tags, aliases, stages.
import { AJAX, api, pageState, toast } from "./common.js";
import { descriptionEditor, tagEditor } from "./editing.js";

const state = pageState();
const name = state.name;
const version = state.version;
const post = (path, body, method = "POST") => api(`${AJAX}/${path}`, { method, body });

if (version === undefined) {
  descriptionEditor((description) => post("registered-models/update", { name, description }, "PATCH"));
  tagEditor({
    set: (key, value) => post("registered-models/set-tag", { name, key, value }),
    remove: (key) => post("registered-models/delete-tag", { name, key }, "DELETE"),
  });
} else {
  descriptionEditor((description) => post("model-versions/update", { name, version, description }, "PATCH"));
  tagEditor({
    set: (key, value) => post("model-versions/set-tag", { name, version, key, value }),
    remove: (key) => post("model-versions/delete-tag", { name, version, key }, "DELETE"),
  });
}

for (const select of document.querySelectorAll(".stage-select")) {
  let previous = select.value;
  select.addEventListener("change", async () => {
    try {
      await post("model-versions/transition-stage", { name, version: select.dataset.version, stage: select.value, archive_existing_versions: false });
      previous = select.value;
      toast(`Version ${select.dataset.version} moved to ${select.value}`);
    } catch (error) { select.value = previous; toast(error.message, true); }
  });
}

document.getElementById("alias-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const alias = document.getElementById("alias-name").value.trim();
  try {
    await post("registered-models/alias", { name, alias, version: document.getElementById("alias-version").value });
    location.reload();
  } catch (error) { toast(error.message, true); }
});
document.getElementById("alias-list")?.addEventListener("click", async (event) => {
  const button = event.target.closest(".delete-alias");
  if (!button) return;
  const alias = button.closest("li").dataset.alias;
  try { await post("registered-models/alias", { name, alias }, "DELETE"); button.closest("li").remove(); toast(`Alias @${alias} removed`); } catch (error) { toast(error.message, true); }
});
