// The registered models list: creating a model.
import { AJAX, api, prefix } from "./common.js";

const dialog = document.getElementById("model-dialog");
const input = document.getElementById("model-name");
const errorBox = document.getElementById("model-error");
document.getElementById("create-model")?.addEventListener("click", () => { errorBox.hidden = true; input.value = ""; dialog.showModal(); input.focus(); });
document.getElementById("model-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const { registered_model: model } = await api(`${AJAX}/registered-models/create`, { method: "POST", body: { name: input.value.trim() } });
    location.href = `${prefix}/model?name=${encodeURIComponent(model.name)}`;
  } catch (error) { errorBox.textContent = error.message; errorBox.hidden = false; }
});
