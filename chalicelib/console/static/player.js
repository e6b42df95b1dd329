// Words that follow the audio: each transcript word is a button; the one being spoken is
// highlighted as the <audio> plays, and choosing a word seeks the audio to it.
import { formatTime } from "./dom.js";

export const LOW_CONFIDENCE = 0.5;

/** Index of the word being spoken at `ms`: the last one that has started (-1 before the first). */
export function wordAt(words, ms) {
  let low = 0;
  let high = words.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (words[middle].start <= ms) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** One transcript's words in a container; knows nothing about audio. */
export class WordView {
  constructor(container, onPick) {
    this.container = container;
    this.words = [];
    this.buttons = [];
    this.current = -1;
    container.addEventListener("click", (event) => {
      const button = event.target.closest("button.word");
      if (button && container.contains(button)) onPick(this.words[Number(button.dataset.index)]);
    });
    // One tab stop for the whole transcript, arrows between words: hundreds of tab stops
    // would make the rest of the page unreachable from the keyboard.
    container.addEventListener("keydown", (event) => this.#moveFocus(event));
  }

  show(words) {
    this.words = words;
    this.current = -1;
    this.buttons = words.map((word, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "word";
      button.textContent = word.text;
      button.dataset.index = index;
      button.tabIndex = index === 0 ? 0 : -1;
      const low = word.confidence < LOW_CONFIDENCE;
      if (low) button.classList.add("low");
      button.title = `${formatTime(word.start)} · confidence ${word.confidence.toFixed(2)}${low ? " (low)" : ""}`;
      return button;
    });
    // Spaces between the buttons let the text wrap and read as text.
    this.container.replaceChildren(...this.buttons.flatMap((b) => [b, " "]));
  }

  /** Marks words with a class (diff and search results); `note` is added to their titles. */
  mark(indexes, className, note = "") {
    for (const index of indexes) {
      const button = this.buttons[index];
      if (!button) continue;
      button.classList.add(className);
      if (note) button.title += ` · ${note}`;
    }
  }

  unmark(className) {
    for (const button of this.container.querySelectorAll(`.${className}`)) button.classList.remove(className);
  }

  highlight(index, { scroll = false } = {}) {
    if (index === this.current) return;
    this.buttons[this.current]?.classList.remove("current");
    this.buttons[this.current]?.removeAttribute("aria-current");
    this.current = index;
    const button = this.buttons[index];
    if (!button) return;
    button.classList.add("current");
    button.setAttribute("aria-current", "true");
    if (scroll) this.#keepVisible(button);
  }

  // Scrolls only the transcript box, and only when the word has left it: scrolling the page
  // under a reader's feet would be worse than a word out of view.
  #keepVisible(button) {
    const box = this.container;
    const top = button.offsetTop - box.offsetTop;
    if (top < box.scrollTop || top + button.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  #moveFocus(event) {
    const steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    const from = Number(event.target.dataset?.index);
    if (Number.isNaN(from)) return;
    let to;
    if (event.key in steps) to = from + steps[event.key];
    else if (event.key === "Home") to = 0;
    else if (event.key === "End") to = this.buttons.length - 1;
    else return;
    const target = this.buttons[Math.max(0, Math.min(to, this.buttons.length - 1))];
    event.preventDefault();
    event.target.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }
}

/**
 * Binds word views to one <audio>: while it plays, each view highlights the word at the
 * current time; picking a word in any view seeks there. Several views (the two sides of a
 * comparison) can follow the same audio.
 */
export class AudioFollower {
  constructor(audio, containers) {
    this.audio = audio;
    this.views = containers.map((container) => new WordView(container, (word) => this.seek(word.start)));
    this.frame = 0;
    // timeupdate fires only about four times a second: too coarse for short words, so
    // playing is followed frame by frame and timeupdate covers seeks while paused.
    audio.addEventListener("play", () => this.#follow());
    audio.addEventListener("timeupdate", () => this.update());
    audio.addEventListener("seeked", () => this.update());
  }

  /** Shows one word list per view, in the order the containers were given. */
  show(...wordLists) {
    wordLists.forEach((words, i) => this.views[i].show(words));
    this.update();
  }

  seek(ms) {
    this.audio.currentTime = ms / 1000;
    this.update();
  }

  update({ scroll = false } = {}) {
    const ms = Math.round(this.audio.currentTime * 1000);
    for (const view of this.views) view.highlight(wordAt(view.words, ms), { scroll });
  }

  #follow() {
    cancelAnimationFrame(this.frame);
    const step = () => {
      this.update({ scroll: true });
      if (!this.audio.paused && !this.audio.ended) this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }
}

/** Points an <audio> at a local Blob, releasing the previous one's memory. */
export function playLocal(audio, blob) {
  if (audio.src.startsWith("blob:")) URL.revokeObjectURL(audio.src);
  if (blob) audio.src = URL.createObjectURL(blob);
  else audio.removeAttribute("src");
  audio.load();
}
