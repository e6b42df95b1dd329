// The Transcripts panel: the tenant's transcripts, newest first, a page at a time; open one
// in the viewer or delete it.
import { $, actionButton, clearError, el, formatDate, showError } from "./dom.js";

const PAGE_SIZE = 20;
// A deleted transcript keeps its id and status; AssemblyAI's marker replaces its audio_url.
const DELETED_AUDIO_URL = "http://deleted_by_user";

// page_details gives full URLs; only their bounds are needed to ask for the next page.
const boundsOf = (url) => Object.fromEntries(new URL(url).searchParams);

export function setupTranscripts({ session, onOpen }) {
  const error = $("#transcripts-error");
  const older = $("#transcripts-older");
  const newer = $("#transcripts-newer");
  let page = {};
  let pages = {};

  $("#transcripts-refresh").addEventListener("click", () => refresh());
  older.addEventListener("click", () => refresh(pages.older));
  newer.addEventListener("click", () => refresh(pages.newer));

  async function refresh(bounds = page) {
    clearError(error);
    try {
      const { before_id, after_id } = bounds;
      const body = await session.api.get("v2/transcript", { limit: PAGE_SIZE, before_id, after_id });
      page = { before_id, after_id };
      const details = body.page_details;
      pages = {
        older: details.prev_url && boundsOf(details.prev_url),
        newer: details.next_url && boundsOf(details.next_url),
      };
      older.hidden = !pages.older;
      // The first page's "newer" link would show nothing new: only offer it away from the top.
      newer.hidden = !pages.newer || !(before_id || after_id);
      render(body.transcripts);
    } catch (e) {
      showError(error, e);
    }
  }

  function render(transcripts) {
    $("#transcripts-empty").hidden = transcripts.length > 0;
    $("#transcript-list tbody").replaceChildren(
      ...transcripts.map((t) => {
        const finished = t.status === "completed" || t.status === "error";
        const deleted = t.audio_url === DELETED_AUDIO_URL;
        return el("tr", { "data-id": t.id, "data-deleted": deleted },
          el("td", {}, formatDate(t.created)),
          el("td", {}, el("code", {}, t.id)),
          el("td", {},
            el("span", { class: `badge ${t.status}` }, t.status),
            deleted ? el("span", { class: "badge deleted" }, "deleted") : null,
            t.error ? el("div", { class: "muted" }, t.error) : null,
          ),
          el("td", { class: "actions" },
            actionButton("Open", `Open transcript ${t.id}`, () => open(t.id)),
            // The API refuses to delete a transcript that is still running (409).
            actionButton("Delete", `Delete transcript ${t.id}`, () => remove(t.id), { danger: true, disabled: !finished || deleted }),
          ),
        );
      }),
    );
  }

  async function open(id) {
    clearError(error);
    try {
      onOpen(await session.api.get(`v2/transcript/${id}`));
    } catch (e) {
      showError(error, e);
    }
  }

  async function remove(id) {
    clearError(error);
    if (!confirm(`Delete transcript ${id}? Its text and audio are removed for good.`)) return;
    try {
      await session.api.delete(`v2/transcript/${id}`);
      await refresh();
    } catch (e) {
      showError(error, e);
    }
  }

  return { refresh };
}
