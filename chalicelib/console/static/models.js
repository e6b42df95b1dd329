// The Custom models panel: create a model from pasted text, text files and phrases, watch
// it train, read its evaluation metrics; list and delete models.
import { modelDone, watch } from "./api.js";
import { $, actionButton, busy, clearError, el, fillDefinitions, formatDate, showError } from "./dom.js";
import { MODEL_STEPS, clearProgress, showProgress } from "./progress.js";

// What training measures (sagemaker_jobs/asr/custom/build.py), in reading order. Metrics
// not listed here are still shown, under their own names.
const METRIC_LABELS = {
  corpus_sentences: "Sentences",
  corpus_words: "Words",
  vocabulary_size: "Vocabulary (distinct words)",
  explicit_phrases: "Phrases given",
  domain_phrases_found: "Domain phrases mined",
  lexicon_size: "Spelling lexicon",
  heldout_sentences: "Held-out sentences",
  heldout_perplexity: "Held-out perplexity",
  heldout_oov_rate: "Held-out out-of-vocabulary rate",
  build_seconds: "Build time (s)",
  training_seconds: "Training job time (s)",
};

/** Pasted text → documents: a blank line separates two documents. */
export function splitDocuments(text) {
  return text.split(/\n\s*\n/).map((d) => d.trim()).filter(Boolean);
}

export const splitPhrases = (text) => text.split("\n").map((p) => p.trim()).filter(Boolean);

function metricValue(name, value) {
  if (value === null || value === undefined) return "not measured (corpus too small)";
  if (name.endsWith("_rate")) return `${(value * 100).toFixed(1)} %`;
  return typeof value === "object" ? JSON.stringify(value) : value;
}

export function setupModels({ session, onModelsChanged }) {
  const form = $("#model-form");
  const progress = $("#model-progress");
  const error = $("#model-error");
  const listError = $("#models-list-error");
  const detail = $("#model-detail");
  let job = null;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(error);
    busy(form.querySelector('button[type="submit"]'), () => create().catch((e) => showError(error, e)));
  });
  $("#models-refresh").addEventListener("click", () => onModelsChanged());

  async function create() {
    const name = $("#model-name").value.trim();
    const files = [...$("#model-files").files];
    const texts = [...splitDocuments($("#model-texts").value), ...(await Promise.all(files.map((f) => f.text())))]
      .map((t) => t.trim())
      .filter(Boolean);
    const phrases = splitPhrases($("#model-phrases").value);
    const description = $("#model-description").value.trim();
    if (!name) return showError(error, "Give the model a name.");
    // The API would accept neither and wait for a corpus upload, which the console does not offer.
    if (!texts.length && !phrases.length) return showError(error, "Paste some text, choose text files or list phrases.");
    const model = await session.api.post("v2/model", { name, texts, phrases, ...(description && { description }) });
    form.reset();
    onModelsChanged();
    await follow(model);
  }

  /** Shows a model and, until it is ready or failed, its training progress. */
  async function follow(model) {
    job?.abort();
    const controller = (job = new AbortController());
    showDetail(model);
    try {
      const done = await watch(() => session.api.get(`v2/model/${model.id}`), {
        isDone: modelDone,
        signal: controller.signal,
        onChange: (m) => {
          showProgress(progress, { label: `Model “${m.name}”`, steps: MODEL_STEPS, status: m.status, detail: m.error });
          showDetail(m);
        },
      });
      onModelsChanged();
      if (done.status === "error") showError(error, `Training failed: ${done.error}`);
    } catch (e) {
      if (!controller.signal.aborted) showError(error, e);
    }
  }

  function showDetail(model) {
    detail.dataset.id = model.id;
    detail.dataset.status = model.status;
    $("#model-detail-title").textContent = `Model “${model.name}”`;
    fillDefinitions($("#model-detail-meta"), [
      ["Id", model.id],
      ["Status", model.status],
      ["Description", model.description],
      ["Texts", model.sizes?.texts],
      ["Phrases", model.sizes?.phrases],
      ["Corpus", model.sizes?.corpus_bytes != null ? `${model.sizes.corpus_bytes} bytes` : null],
      ["Artifact", model.sizes?.artifact_bytes != null ? `${model.sizes.artifact_bytes} bytes` : null],
      ["Created", formatDate(model.created)],
      ["Updated", formatDate(model.updated)],
      ["Error", model.error],
    ]);
    const metrics = model.metrics || {};
    const { domain_phrases: phrases = [], ...scalars } = metrics;
    const known = Object.keys(METRIC_LABELS).filter((n) => n in scalars);
    const names = [...known, ...Object.keys(scalars).filter((n) => !(n in METRIC_LABELS))];
    fillDefinitions($("#model-metrics"), names.map((n) => [METRIC_LABELS[n] || n, metricValue(n, scalars[n])]));
    $("#model-metrics-empty").hidden = Boolean(model.metrics);
    $("#model-phrases-found").replaceChildren(
      ...phrases.map((p) => el("li", { title: `${p.kind}, score ${p.score}` }, `${p.text} ×${p.count}`)),
    );
    detail.hidden = false;
  }

  async function open(id) {
    clearError(error);
    clearProgress(progress);
    try {
      await follow(await session.api.get(`v2/model/${id}`));
    } catch (e) {
      showError(error, e);
    }
  }

  async function remove(model) {
    clearError(listError);
    if (!confirm(`Delete the custom model “${model.name}”? Transcripts made with it are kept.`)) return;
    try {
      await session.api.delete(`v2/model/${model.id}`);
      if (detail.dataset.id === model.id) {
        job?.abort();
        detail.hidden = true;
        clearProgress(progress);
      }
      onModelsChanged();
    } catch (e) {
      showError(listError, e);
    }
  }

  return {
    /** Redraws the list from GET /v2/model's `models`. */
    render(models) {
      clearError(listError);
      $("#models-empty").hidden = models.length > 0;
      $("#model-list tbody").replaceChildren(
        ...models.map((m) =>
          el("tr", { "data-id": m.id },
            el("td", {}, m.name),
            el("td", {}, el("span", { class: `badge ${m.status}` }, m.status)),
            el("td", {}, formatDate(m.created)),
            el("td", { class: "actions" },
              actionButton("Details", `Details of ${m.name}`, () => open(m.id)),
              actionButton("Delete", `Delete ${m.name}`, () => remove(m), { danger: true }),
            ),
          ),
        ),
      );
    },
    showListError: (e) => showError(listError, e),
  };
}
