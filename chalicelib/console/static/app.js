// The console's entry point: sign-in, navigation between panels, and the few things the
// panels share (the API session, the list of custom models).
import { Api, forgetKey, saveKey, savedKey } from "./api.js";
import { setupCompare } from "./compare.js";
import { $, clearError, showError } from "./dom.js";
import { setupModels } from "./models.js";
import { setupTranscribe } from "./transcribe.js";
import { setupTranscripts } from "./transcripts.js";
import { TranscriptViewer } from "./viewer.js";

const SECTIONS = ["transcribe", "compare", "models", "transcripts"];
const session = { api: null };

const viewer = new TranscriptViewer(session);
const models = setupModels({ session, onModelsChanged: refreshModels });
const transcripts = setupTranscripts({ session, onOpen: openTranscript });
const transcribe = setupTranscribe({ session, viewer, onTranscriptsChanged: () => transcripts.refresh() });
setupCompare({ session, onTranscriptsChanged: () => transcripts.refresh() });

function openTranscript(transcript) {
  transcribe.open(transcript);
  showSection("transcribe");
}

/** Reloads the models list and every model picker; only ready models can be picked. */
async function refreshModels() {
  let list;
  try {
    list = (await session.api.get("v2/model", { limit: 200 })).models;
  } catch (e) {
    models.showListError(e);
    return;
  }
  models.render(list);
  for (const select of document.querySelectorAll("select[data-models]")) fillModelChoices(select, list);
}

function fillModelChoices(select, list) {
  const chosen = select.value;
  const none = select.dataset.models === "required" ? "Choose a ready model" : "None (general model)";
  const options = [new Option(none, "")];
  for (const model of list) {
    const ready = model.status === "ready";
    const option = new Option(ready ? model.name : `${model.name} (${model.status})`, model.id);
    option.disabled = !ready;
    option.dataset.name = model.name;
    options.push(option);
  }
  select.replaceChildren(...options);
  if (list.some((m) => m.id === chosen && m.status === "ready")) select.value = chosen;
}

function showSection(name, { replace = false } = {}) {
  if (!SECTIONS.includes(name)) name = SECTIONS[0];
  for (const section of SECTIONS) $(`#${section}`).hidden = section !== name;
  for (const button of document.querySelectorAll("#nav button")) {
    if (button.dataset.section === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  // The hash keeps the panel across a reload and gives the browser's Back button meaning.
  if (location.hash !== `#${name}`) history[replace ? "replaceState" : "pushState"](null, "", `#${name}`);
}

/** Checks `key` against the API; on success the console opens for its tenant. */
async function signIn(key) {
  const api = new Api(key);
  const account = await api.get("v2/account");
  session.api = api;
  saveKey(key);
  $("#tenant").textContent = `Tenant: ${account.tenant_id}`;
  $("#sign-in").hidden = true;
  $("#nav").hidden = false;
  $("#account").hidden = false;
  showSection(location.hash.slice(1), { replace: true });
  await Promise.all([refreshModels(), transcripts.refresh()]);
}

$("#sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("#sign-in-error");
  clearError(error);
  const key = $("#api-key").value.trim();
  if (!key) return showError(error, "Enter an API key.");
  try {
    await signIn(key);
    $("#api-key").value = "";
  } catch (e) {
    showError(error, e.status === 401 ? `That key was refused: ${e.message}` : e);
  }
});

// Reloading drops every job being watched and every local audio file with the key.
$("#sign-out").addEventListener("click", () => {
  forgetKey();
  location.hash = "";
  location.reload();
});

for (const button of document.querySelectorAll("#nav button")) {
  button.addEventListener("click", () => showSection(button.dataset.section));
}
window.addEventListener("popstate", () => session.api && showSection(location.hash.slice(1), { replace: true }));

const remembered = savedKey();
if (remembered) {
  signIn(remembered).catch((e) => {
    forgetKey();
    showError($("#sign-in-error"), `Please sign in again: ${e.message}`);
  });
}
// Tests and scripts wait for this before acting on the page.
document.documentElement.dataset.ready = "true";
