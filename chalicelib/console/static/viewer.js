// One transcript on screen: its facts, the words following the audio, word search, and
// downloads of the API's exports.
import { $, clearError, download, fillDefinitions, formatDate, showError } from "./dom.js";
import { AudioFollower, LOW_CONFIDENCE, playLocal } from "./player.js";

export class TranscriptViewer {
  constructor(session) {
    this.session = session;
    this.transcript = null;
    this.root = $("#viewer");
    this.audio = $("#viewer-audio");
    this.error = $("#viewer-error");
    this.follower = new AudioFollower(this.audio, [$("#viewer-words")]);
    this.words = this.follower.views[0];
    $("#low-threshold").textContent = String(LOW_CONFIDENCE * 100);
    $("#search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.#search($("#search-terms").value).catch((e) => showError(this.error, e));
    });
    for (const button of this.root.querySelectorAll("[data-export]")) {
      button.addEventListener("click", () => this.#export(button.dataset.export).catch((e) => showError(this.error, e)));
    }
    $("#viewer-attach-file").addEventListener("change", (event) => {
      const [file] = event.target.files;
      if (file) playLocal(this.audio, file);
    });
  }

  /** Shows `transcript`; `audio` is the local recording or file, when the page has it. */
  show(transcript, audio = null) {
    this.transcript = transcript;
    clearError(this.error);
    $("#search-result").textContent = "";
    fillDefinitions($("#viewer-meta"), [
      ["Id", transcript.id],
      ["Status", transcript.status],
      ["Custom model", transcript.custom_model_id || "none"],
      ["Duration", transcript.audio_duration != null ? `${transcript.audio_duration} s` : null],
      ["Confidence", transcript.confidence != null ? `${Math.round(transcript.confidence * 100)} %` : null],
      ["Words", transcript.words ? transcript.words.length : null],
      ["Created", formatDate(transcript.created)],
      ["Completed", formatDate(transcript.completed)],
    ]);
    playLocal(this.audio, audio);
    $("#viewer-attach").hidden = Boolean(audio) || !transcript.words?.length;
    this.follower.show(transcript.words || []);
    if (transcript.status === "error") showError(this.error, `The transcript failed: ${transcript.error}`);
    else if (!transcript.words) showError(this.error, "This transcript was deleted: its text and audio are gone.");
    this.root.hidden = false;
  }

  hide() {
    this.root.hidden = true;
    this.transcript = null;
    playLocal(this.audio, null);
  }

  async #search(input) {
    const terms = input.split(",").map((t) => t.trim()).filter(Boolean);
    this.words.unmark("match");
    if (!terms.length || !this.transcript) return;
    const result = await this.session.api.get(`v2/transcript/${this.transcript.id}/word-search`, {
      words: terms.join(","),
    });
    // A phrase's index is its first word's: mark the words it spans.
    for (const match of result.matches) {
      const length = match.text.split(/\s+/).length;
      this.words.mark(match.indexes.flatMap((first) => Array.from({ length }, (_, i) => first + i)), "match");
    }
    $("#search-result").textContent = result.matches
      .map((m) => `“${m.text}”: ${m.count} ${m.count === 1 ? "time" : "times"}`)
      .join(" · ");
  }

  async #export(kind) {
    const { id, text } = this.transcript;
    if (kind === "txt") return download(`${id}.txt`, text || "");
    if (kind === "json") return download(`${id}.json`, JSON.stringify(this.transcript, null, 2), "application/json");
    download(`${id}.${kind}`, await this.session.api.get(`v2/transcript/${id}/${kind}`));
  }
}
