"""Real-time streaming, measured: end-of-utterance latency and how many live streams one
machine holds at 1x real time.

    python -m bench.streaming [--streams 1 4 8] [--utterances 5]

The streaming service (hark_streaming, the real engine, VAD and turn logic) runs in this process
on a free port; each client streams a recording of LibriSpeech utterances (the dev set's, else
the test fixtures; each stream starting at another one) separated by 1.5 s pauses, at the pace
of speech in 100 ms frames, over a real WebSocket. For every utterance the client records when
it sent the utterance's last speech sample (`speech_end_s`) and when the end-of-turn Turn for it
arrived: that difference is the LATENCY (it includes the silence a turn needs before it ends:
min_turn_silence, 400 ms by default, when the text reads as finished). A machine HOLDS n streams
when, with n running at once, the p95 latency stays under 3 s and no stream is closed for
falling behind.

The engine's own real-time factor on the same audio decoded in one call (`Engine.transcribe`:
faster-whisper with the settings `raw_decode_kwargs` gives it) is printed alongside,
measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.data import accuracy_clips, dev_set_available, fixture_clips
from hark_streaming.server import Access, BackgroundServer, StreamingService
from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.engine import Engine, EngineSettings
from sagemaker_jobs.asr.engines import SpeechEngines
from sagemaker_jobs.asr.layout import one_decode_per_core
from sagemaker_jobs.train.scoring import score

PAUSE_S = 1.5
FRAME_S = 0.1
HOLDS_P95_S = 3.0


@dataclass
class StreamResult:
    latencies_s: list[float] = field(default_factory=list)
    partial_latencies_s: list[float] = field(default_factory=list)
    finals: list[str] = field(default_factory=list)
    closed: str = ""


def recording(utterances: int, rotate: int = 0) -> tuple[np.ndarray, list[float], list[str]]:
    """The utterances joined with pauses; `rotate`: starting that many utterances in (each stream
    of a run starts at another one, so the streams' turns are not all the same length at once)."""
    clips = accuracy_clips("librispeech_clean") if dev_set_available() else fixture_clips()
    clips = [c for c in clips if c.subset == "librispeech_clean" or not dev_set_available()][:utterances]
    clips = clips[rotate % len(clips) :] + clips[: rotate % len(clips)]
    pause = np.zeros(int(PAUSE_S * 16000), dtype=np.float32)
    parts, ends, t = [pause], [], PAUSE_S
    texts = [clip.text for clip in clips]
    for clip in clips:
        samples = audio.decode(clip.path.read_bytes())
        parts += [samples, pause]
        ends.append(t + speech_end_s(samples))
        t += len(samples) / 16000 + PAUSE_S
    return np.concatenate(parts), ends, texts


def speech_end_s(samples: np.ndarray, floor_db: float = 35.0) -> float:
    """Where a clip's speech ends: the end of its last 10 ms frame within `floor_db` of its
    loudest. LibriSpeech clips end with up to a second of room tone; latency is counted from
    the last speech sample, as AssemblyAI counts it (a turn that ends inside that
    tone used to arrive before the clip's last sample was sent, and went uncounted)."""
    frame = 160
    energy = np.array([np.sqrt(np.mean(samples[i : i + frame] ** 2)) + 1e-9 for i in range(0, len(samples), frame)])
    loud = np.nonzero(20 * np.log10(energy / energy.max()) > -floor_db)[0]
    return (int(loud[-1]) + 1) * frame / 16000 if len(loud) else len(samples) / 16000


def stream(url: str, samples: np.ndarray, ends: list[float], result: StreamResult, query: str = "") -> None:
    pcm = (samples * 32767).astype("<i2").tobytes()
    step = int(FRAME_S * 16000)
    sent_at: dict[int, float] = {}
    with connect(f"{url}/v3/ws?sample_rate=16000{query}", additional_headers={"Authorization": "bench"}, max_size=None) as ws:
        ws.recv()  # Begin

        start = 0.0
        heard = [-1, 0]  # (turn order, words seen in its partials so far)

        def read() -> None:
            try:
                for message in ws:
                    event = json.loads(message)
                    if event["type"] == "Turn" and not event["end_of_turn"] and event["words"]:
                        # Each word a partial shows for the first time: from the moment the
                        # sample at its end was sent (the stream is paced at 1x) to now.
                        now = time.monotonic()
                        if heard[0] != event["turn_order"]:
                            heard[:] = [event["turn_order"], 0]
                        for word in event["words"][heard[1] :]:
                            result.partial_latencies_s.append(now - (start + word["end"] / 1000))
                        heard[1] = max(heard[1], len(event["words"]))
                    if event["type"] == "Turn" and event["end_of_turn"] and not event.get("turn_is_formatted"):
                        result.finals.append(event["transcript"])
                    if event["type"] == "Turn" and event["end_of_turn"] and event["words"]:
                        # The utterance this turn ends: the one whose end its last word reaches.
                        last = event["words"][-1]["end"] / 1000
                        k = min(range(len(ends)), key=lambda i: abs(ends[i] - last))
                        if k in sent_at:
                            result.latencies_s.append(time.monotonic() - sent_at.pop(k))
            except ConnectionClosed as e:
                if e.rcvd and e.rcvd.code != 1000:
                    result.closed = f"{e.rcvd.code} {e.rcvd.reason}"

        reader = threading.Thread(target=read, daemon=True)
        start = time.monotonic()
        reader.start()
        for i in range(0, len(samples), step):
            target = start + i / 16000
            time.sleep(max(0.0, target - time.monotonic()))
            ws.send(pcm[2 * i : 2 * (i + step)])
            position = (i + step) / 16000
            for k, end in enumerate(ends):
                if position - FRAME_S < end <= position:  # this frame carried the utterance's end
                    sent_at[k] = time.monotonic()
        ws.send(json.dumps({"type": "Terminate"}))
        reader.join(120)


def run_streams(
    url: str, recordings: list[tuple[np.ndarray, list[float], list[str]]], query: str = ""
) -> list[StreamResult]:
    """One stream per recording, all at once."""
    results = [StreamResult() for _ in recordings]
    threads = [
        threading.Thread(target=stream, args=(url, samples, ends, r, query))
        for (samples, ends, _), r in zip(recordings, results)
    ]
    for i, t in enumerate(threads):
        t.start()
        time.sleep(0.37 * (i % 3))  # streams do not start in lockstep in real life
    for t in threads:
        t.join()
    return results


def raw_decode(engine: Engine, samples: np.ndarray) -> tuple[float, str]:
    started = time.perf_counter()
    text = engine.transcribe(samples).text
    return (time.perf_counter() - started) / (len(samples) / 16000), text


def wer(reference: str, hypothesis: str) -> float:
    return score([reference], [hypothesis]).wer


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--utterances", type=int, default=5)
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[0.4],
        help="end_of_turn_confidence_threshold per row (0.4, the default: only a sentence end ends a turn early;"
        " 0.3: an unpunctuated text with no sign of more to come too)",
    )
    args = parser.parse_args()
    environ = one_decode_per_core(os.environ)
    engine = Engine(EngineSettings.from_env(environ))
    access = Access(tenant=lambda credential: "bench", model=lambda tenant, model: None)  # type: ignore[arg-type, return-value]
    service = StreamingService(SpeechEngines(engine, environ), access, max_streams=max(args.streams))
    server = BackgroundServer(service, "127.0.0.1", 0).start()
    url = f"ws://127.0.0.1:{server.port}"
    samples, ends, texts = recording(args.utterances)
    reference = " ".join(texts)
    print(f"streaming: engine {engine.settings.model_name}, {len(ends)} utterances, {len(samples) / 16000:.0f} s per stream, {os.cpu_count()} cores")
    rtf, batch_text = raw_decode(engine, samples)
    print(f"engine alone, same audio decoded in one call: real-time factor {rtf:.3f}, WER {wer(reference, batch_text):.3f}")
    # Stream i starts at utterance i; each recording is read and joined once for every row.
    rotations = [recording(args.utterances, rotate=i) for i in range(max(args.streams))]
    held = 0
    for threshold in args.thresholds:
        for n in args.streams:
            recordings = rotations[:n]
            results = run_streams(url, recordings, f"&end_of_turn_confidence_threshold={threshold}")
            latencies = [x for r in results for x in r.latencies_s]
            partials = [x for r in results for x in r.partial_latencies_s]
            closed = [r.closed for r in results if r.closed]
            if not latencies:
                print(f"{n} streams: no end-of-turn seen; closed: {closed}")
                break
            p95 = percentile(latencies, 0.95)
            holds = p95 < HOLDS_P95_S and not closed and len(latencies) >= n * len(ends) * 0.8
            final_wer = statistics.fmean(
                wer(" ".join(texts), " ".join(r.finals)) for (_, _, texts), r in zip(recordings, results)
            )
            partial = f"p50 {percentile(partials, 0.5):.2f} s, p95 {percentile(partials, 0.95):.2f} s" if partials else "none"
            print(
                f"threshold {threshold}, {n} streams: end-of-utterance → final Turn"
                f" median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s,"
                f" {len(latencies)}/{n * len(ends)} turns seen, final-turn WER {final_wer:.3f};"
                f" word → first partial with it {partial} ({len(partials)} words)"
                f"{', closed: ' + '; '.join(closed) if closed else ''} -> {'holds' if holds else 'falls behind'}"
            )
            if holds and threshold == args.thresholds[0]:
                held = n
    print(f"live streams one machine holds at 1x real time: {held} (p95 latency < {HOLDS_P95_S:.0f} s)")
    server.stop()


if __name__ == "__main__":
    main()
