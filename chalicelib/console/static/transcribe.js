// The Transcribe panel: choose or record audio, pick a model, submit, watch the job, read
// the result in the viewer.
import { transcriptDone, watch } from "./api.js";
import { $, busy, clearError, showError } from "./dom.js";
import { TRANSCRIPT_STEPS, clearProgress, showProgress } from "./progress.js";
import { canRecord, recordingName, startRecording } from "./recorder.js";
import { playLocal } from "./player.js";

/** Uploads `audio` and submits it; returns the job as POST /v2/transcript answered it. */
export async function submitAudio(api, audio, customModelId = "") {
  const audioUrl = await api.upload(audio);
  return api.post("v2/transcript", { audio_url: audioUrl, ...(customModelId && { custom_model_id: customModelId }) });
}

export function setupTranscribe({ session, viewer, onTranscriptsChanged }) {
  const form = $("#transcribe-form");
  const fileInput = $("#audio-file");
  const recordButton = $("#record");
  const recordStatus = $("#record-status");
  const preview = $("#record-preview");
  const progress = $("#transcribe-progress");
  const error = $("#transcribe-error");
  // What will be sent: the chosen file or the last recording, whichever came last.
  let audio = null;
  let recording = null;
  let job = null;

  fileInput.addEventListener("change", () => {
    audio = fileInput.files[0] || null;
    preview.hidden = true;
    playLocal(preview, null);
    recordStatus.textContent = "";
  });

  if (!canRecord()) {
    recordButton.disabled = true;
    recordStatus.textContent = "Recording needs a browser with microphone access (HTTPS or localhost).";
  }
  recordButton.addEventListener("click", async () => {
    clearError(error);
    try {
      if (recording) await stopRecording();
      else await beginRecording();
    } catch (e) {
      recording = null;
      recordButton.setAttribute("aria-pressed", "false");
      recordButton.textContent = "Record from microphone";
      showError(error, `Could not record: ${e.message}`);
    }
  });

  async function beginRecording() {
    recording = await startRecording();
    recordButton.setAttribute("aria-pressed", "true");
    recordButton.textContent = "Stop recording";
    recordStatus.textContent = "Recording…";
  }

  async function stopRecording() {
    const seconds = (performance.now() - recording.startedAt) / 1000;
    const blob = await recording.stop();
    recording = null;
    recordButton.setAttribute("aria-pressed", "false");
    recordButton.textContent = "Record again";
    audio = new File([blob], recordingName(blob), { type: blob.type });
    fileInput.value = "";
    playLocal(preview, audio);
    preview.hidden = false;
    recordStatus.textContent = `Recorded ${seconds.toFixed(1)} s; it will be transcribed instead of a file.`;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(error);
    if (recording) return showError(error, "Stop the recording first.");
    if (!audio) return showError(error, "Choose an audio file or record from the microphone first.");
    busy(form.querySelector('button[type="submit"]'), () => transcribe(audio, $("#transcribe-model").value));
  });

  async function transcribe(file, modelId) {
    // A newer submission replaces the one being watched.
    job?.abort();
    const controller = (job = new AbortController());
    const label = file.name || "Recording";
    viewer.hide();
    showProgress(progress, { label, steps: TRANSCRIPT_STEPS, status: "uploading" });
    try {
      const submitted = await submitAudio(session.api, file, modelId);
      onTranscriptsChanged();
      const done = await watch(() => session.api.get(`v2/transcript/${submitted.id}`), {
        isDone: transcriptDone,
        signal: controller.signal,
        onChange: (t) => showProgress(progress, { label, steps: TRANSCRIPT_STEPS, status: t.status, detail: t.error }),
      });
      onTranscriptsChanged();
      if (done.status === "completed") viewer.show(done, file);
      else showError(error, `The transcript failed: ${done.error}`);
    } catch (e) {
      if (controller.signal.aborted) return;
      clearProgress(progress);
      showError(error, e);
    }
  }

  return {
    /** Shows a transcript opened from the list (without its audio, which the API keeps private). */
    open(transcript) {
      job?.abort();
      clearProgress(progress);
      clearError(error);
      viewer.show(transcript);
    },
  };
}
