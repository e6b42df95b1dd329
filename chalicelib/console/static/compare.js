// The Compare panel: one upload, two transcripts (without and with a custom model), shown
// side by side on one audio track with the words that differ marked.
import { transcriptDone, watch } from "./api.js";
import { $, busy, clearError, showError } from "./dom.js";
import { diffWords } from "./diff.js";
import { AudioFollower, playLocal } from "./player.js";
import { TRANSCRIPT_STEPS, clearProgress, showProgress } from "./progress.js";

export function setupCompare({ session, onTranscriptsChanged }) {
  const form = $("#compare-form");
  const error = $("#compare-error");
  const result = $("#compare-result");
  const audio = $("#compare-audio");
  const progress = { base: $("#compare-progress-base"), custom: $("#compare-progress-custom") };
  const follower = new AudioFollower(audio, [$("#compare-base"), $("#compare-custom")]);
  const [baseView, customView] = follower.views;
  let job = null;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(error);
    const file = $("#compare-file").files[0];
    const model = $("#compare-model").selectedOptions[0];
    if (!file) return showError(error, "Choose an audio file to compare.");
    if (!model?.value) return showError(error, "Choose a ready custom model to compare against.");
    busy(form.querySelector('button[type="submit"]'), () => compare(file, model.value, model.dataset.name));
  });

  async function compare(file, modelId, modelName) {
    job?.abort();
    const controller = (job = new AbortController());
    result.hidden = true;
    const labels = { base: "Without a model", custom: `With “${modelName}”` };
    for (const side of ["base", "custom"]) {
      showProgress(progress[side], { label: labels[side], steps: TRANSCRIPT_STEPS, status: "uploading" });
    }
    try {
      // One upload serves both jobs: the same bytes, so any difference is the model's.
      const audioUrl = await session.api.upload(file);
      const run = async (side, options) => {
        const submitted = await session.api.post("v2/transcript", { audio_url: audioUrl, ...options });
        const label = labels[side];
        return watch(() => session.api.get(`v2/transcript/${submitted.id}`), {
          isDone: transcriptDone,
          signal: controller.signal,
          onChange: (t) => showProgress(progress[side], { label, steps: TRANSCRIPT_STEPS, status: t.status, detail: t.error }),
        });
      };
      const [base, custom] = await Promise.all([run("base", {}), run("custom", { custom_model_id: modelId })]);
      onTranscriptsChanged();
      const failed = [base, custom].find((t) => t.status !== "completed");
      if (failed) return showError(error, `A transcript failed: ${failed.error}`);
      show(base, custom, file, modelName);
    } catch (e) {
      if (controller.signal.aborted) return;
      Object.values(progress).forEach(clearProgress);
      showError(error, e);
    }
  }

  function show(base, custom, file, modelName) {
    playLocal(audio, file);
    follower.show(base.words, custom.words);
    const changes = diffWords(base.words, custom.words);
    baseView.mark(changes.deleted, "del", "only without the model");
    customView.mark(changes.inserted, "ins", "only with the model");
    $("#compare-custom-title").textContent = `With “${modelName}”`;
    const differing = changes.deleted.length + changes.inserted.length;
    $("#diff-summary").textContent = differing
      ? `${changes.deleted.length} words only without the model, ${changes.inserted.length} only with it; ` +
        `${changes.equal} in common.`
      : `The two transcripts have the same words (${changes.equal}).`;
    result.hidden = false;
  }
}
