// The console's only way to talk to Hark: same-origin fetches with the user's key, and
// the API's {"error": ...} bodies turned into ApiError messages the page can show as-is.

const KEY_STORAGE = "hark.apiKey";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

// Session storage, not local storage: the key goes away with the tab.
export const savedKey = () => sessionStorage.getItem(KEY_STORAGE);
export const saveKey = (key) => sessionStorage.setItem(KEY_STORAGE, key);
export const forgetKey = () => sessionStorage.removeItem(KEY_STORAGE);

export class Api {
  // The API's root is the folder the page is served from, so that a stage prefix on
  // API Gateway (/<stage>/console) is kept.
  constructor(key, base = new URL(".", location.href)) {
    this.key = key;
    this.base = base;
  }

  get(path, query = {}) {
    return this.request("GET", path, { query });
  }

  post(path, json) {
    return this.request("POST", path, { json });
  }

  delete(path) {
    return this.request("DELETE", path);
  }

  /** Sends an audio Blob to /v2/upload; returns the upload_url to transcribe. */
  async upload(blob) {
    const body = await this.request("POST", "v2/upload", { body: blob });
    return body.upload_url;
  }

  async request(method, path, { query = {}, json, body } = {}) {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Authorization: this.key };
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body });
    } catch (error) {
      throw new ApiError(0, `Could not reach the API: ${error.message}`);
    }
    const data = await readBody(response);
    if (!response.ok) {
      const reason = typeof data === "object" && data && data.error ? data.error : response.statusText;
      throw new ApiError(response.status, `${reason} (HTTP ${response.status})`);
    }
    return data;
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!(response.headers.get("content-type") || "").includes("json")) return text;
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

/**
 * Reads a job until `isDone` says so, calling `onChange` whenever its status changes.
 * The interval grows from 0.4 s to 3 s: short jobs feel instant, long ones are not hammered.
 * An aborted `signal` (a newer job in the same panel) stops the loop with its reason.
 */
export async function watch(read, { isDone, onChange, signal }) {
  let status;
  for (let interval = 400; ; interval = Math.min(interval * 1.3, 3000)) {
    signal?.throwIfAborted();
    const job = await read();
    signal?.throwIfAborted();
    if (job.status !== status) {
      status = job.status;
      onChange(job);
    }
    if (isDone(job)) return job;
    await sleep(interval, signal);
  }
}

export const transcriptDone = (job) => job.status === "completed" || job.status === "error";
export const modelDone = (job) => job.status === "ready" || job.status === "error";
