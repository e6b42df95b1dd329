// A job's life as a row of steps (upload → queued → processing → completed), the current
// one marked, plus one sentence that the container's aria-live region announces.
import { el } from "./dom.js";

export const TRANSCRIPT_STEPS = ["uploading", "queued", "processing", "completed"];
export const MODEL_STEPS = ["queued", "training", "ready"];

/**
 * Shows `status` among `steps` in `container`. An "error" status replaces the step that
 * would have come next, so the row shows how far the job got.
 */
export function showProgress(container, { label, steps, status, detail = "" }) {
  const failed = status === "error";
  const reached = failed ? firstUnfinished(container, steps) : steps.indexOf(status);
  const last = steps.length - 1;
  const items = steps.map((step, i) => {
    let state = i < reached ? "done" : i === reached ? "active" : "todo";
    if (i === reached && (failed || i === last)) state = failed ? "failed" : "done";
    const text = failed && i === reached ? "error" : step;
    return el("li", { "data-state": state, "aria-current": i === reached ? "step" : null }, text);
  });
  container.dataset.status = status;
  container.replaceChildren(
    el("p", { class: "status-text" }, `${label}: ${status}${detail ? ` — ${detail}` : ""}`),
    el("ol", { class: "steps", "aria-label": `${label} steps` }, ...items),
  );
}

// The step after the one that was active when the job failed, read back from the screen.
function firstUnfinished(container, steps) {
  const active = container.querySelector('[aria-current="step"]');
  const index = active ? steps.indexOf(active.textContent) : -1;
  return index >= 0 ? Math.min(index + 1, steps.length - 1) : steps.length - 1;
}

export function clearProgress(container) {
  container.replaceChildren();
  delete container.dataset.status;
}
