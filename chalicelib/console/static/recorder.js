// Microphone recording with MediaRecorder. Browsers record different containers (Chrome
// WebM/Opus, Firefox Ogg/Opus, Safari MP4/AAC); Hark decodes all of them, so the browser's
// own preference is taken among those.

const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

export const canRecord = () => Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);

/**
 * Starts recording from the default microphone. Resolves to a handle whose `stop()`
 * resolves to the recording as a Blob; the microphone is released when it stops.
 */
export async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
  const chunks = [];
  recorder.addEventListener("dataavailable", (event) => event.data.size && chunks.push(event.data));
  const stopped = new Promise((resolve, reject) => {
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      resolve(new Blob(chunks, { type: recorder.mimeType || "audio/webm" }));
    });
    recorder.addEventListener("error", (event) => reject(event.error));
  });
  // A chunk every second, so that a long recording is not held in one growing buffer.
  recorder.start(1000);
  return {
    startedAt: performance.now(),
    stop() {
      if (recorder.state !== "inactive") recorder.stop();
      return stopped;
    },
  };
}

/** A file name for a recording, with the extension its container usually has. */
export function recordingName(blob) {
  const extension = blob.type.includes("ogg") ? "ogg" : blob.type.includes("mp4") ? "m4a" : "webm";
  return `recording-${new Date().toISOString().replace(/[:.]/g, "-")}.${extension}`;
}
