// Small DOM helpers, so that the panels read as what they show rather than how.

export const $ = (selector, root = document) => root.querySelector(selector);

/** el("button", {class: "x", onclick: f}, "text", child) */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** A row's action button: its visible text is short, its accessible name says what it acts on. */
export function actionButton(text, name, onclick, { danger = false, disabled = false } = {}) {
  return el("button", { type: "button", class: danger ? "danger" : "secondary", "aria-label": name, disabled, onclick }, text);
}

export function showError(target, error) {
  target.textContent = error instanceof Error ? error.message : String(error);
}

export const clearError = (target) => (target.textContent = "");

/** Fills a <dl> from [term, value] pairs, skipping empty values. */
export function fillDefinitions(list, pairs) {
  list.replaceChildren(
    ...pairs
      .filter(([, value]) => value !== undefined && value !== null && value !== "")
      .flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, String(value))]),
  );
}

/** 83500 → "1:23.5" */
export function formatTime(ms) {
  const seconds = ms / 1000;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(1).padStart(4, "0")}`;
}

export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Runs `action` with `button` disabled, so that a double click cannot submit twice. */
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}

/** Saves text as a file through a temporary link (the data never leaves the browser). */
export function download(name, text, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
