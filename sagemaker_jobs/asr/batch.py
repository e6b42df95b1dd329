"""Batched decoding: many windows of audio, each with its own prompt, in one CTranslate2 batch.

One `decode_windows` call encodes every window at once and generates every window's text at
once, which on a CPU keeps both cores busy with matrix work instead of one small decode after
another, and on a GPU fills it. `decode_all` runs faster-whisper's own loop over many windows
in step: each decodes its first 30 s, and where Whisper ended early (it ends a window at the
last sentence that fits) the rest is queued again from there, as faster-whisper's sequential
loop seeks to the last timestamp. Its callers:

- short requests from different callers, each one window (`BatchQueue` in the container);
- long recordings, cut into a few long lanes at their longest pauses (`split_into_lanes`),
  opt-in: see `Engine.transcribe_lanes` for what it costs in accuracy.

What a batch gives up: the text carried from one 30-s window to the next inside a lane (measured
not to matter), and the temperature fallback for the whole batch. A window whose decode fails
faster-whisper's own quality checks (a repetition loop, an improbable text) is decoded again on
its own with the full fallback (`Fallback`), so a bad window costs what it costs today.

Measured (tiny.en int8, beam 5, 2 cores; bench/throughput.py and bench/batching.py give the
current figures): 42 Twitter clips one by one 30.4 s, WER 9.26 %; as batches of 8 18.3 s, 9.11 %.
Cutting a long recording into windows of at most 30 s at its pauses (what faster-whisper's
`BatchedInferencePipeline` does) was tried and dropped: on the Twitter call joined into 3.7-min
recordings WER 4.59 % sequential, 17.7 % with `BatchedInferencePipeline`, 7.7 % with windows
cut at the longest pauses, 5.74 % with lanes of 60 s (1.6x faster).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens
from faster_whisper.vad import VadOptions, get_speech_timestamps

from sagemaker_jobs.asr.result import Word, decoder_words

SAMPLE_RATE = 16000
# faster-whisper's defaults for a decode that needs its fallback (transcribe()'s thresholds).
COMPRESSION_RATIO_LIMIT = 2.4
LOG_PROB_LIMIT = -1.0
NO_SPEECH_LIMIT = 0.6
MAX_INITIAL_TIMESTAMP_S = 1.0
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


@dataclass(frozen=True)
class Window:
    """16 kHz mono audio and the hints its decode gets. A decode covers its first 30 s; a
    longer window (a lane) is continued from where that decode stopped (`decode_all`)."""

    samples: np.ndarray
    initial_prompt: str | None = None
    hotwords: str | None = None
    min_rest_s: float = 0.5
    """Where the decoder stops less than this before the end, the rest is not decoded (a prompted
    Whisper reads a short tail as a window of its own and mostly invents words there)."""
    continued: bool = False
    """The rest of a window whose decode stopped short of its end (`decode_all`)."""


@dataclass(frozen=True)
class Decoded:
    """One decode's words (times relative to where it started) and text."""

    text: str
    words: tuple[Word, ...]
    resume_s: float | None = None
    """Where the decoder stopped short of the window's end (Whisper ends a window early when its
    last sentence would not fit): the rest is to be decoded as a window of its own, as
    faster-whisper's sequential loop does by seeking to the last timestamp."""


Fallback = Callable[[Window], Decoded]


TRIM_MARGIN_FRAMES = 100
"""Silence left after the longest window of a batch whose encoder input is trimmed (1 s)..."""
TRIM_MIN_FRAMES = 1000
"""...and a trimmed input is never shorter than 10 s: on 1-3 s of audio with only the margin,
greedy decodes of 30 LibriSpeech clips' beginnings fell into repetition loops (448 tokens of
them, slower than no trimming); from 10 s none did."""


def attended_output(encoded: Any, frames: int) -> Any:
    """One window's encoder output (a StorageView, batch x positions x width) cut to what a
    decoder needs for `frames` mel frames of audio: those, `TRIM_MARGIN_FRAMES` after them, at
    least `TRIM_MIN_FRAMES` (the encoder halves the frames, hence the // 2). Scoring reads this
    rather than the whole window, most of which is padding on a short clip. Cut on a CPU only:
    numpy cannot view a GPU's memory (`np.asarray` of a CUDA StorageView raises), and there the
    whole window costs little."""
    keep = min(encoded.shape[1], max(TRIM_MIN_FRAMES, frames + TRIM_MARGIN_FRAMES) // 2)
    if keep >= encoded.shape[1] or encoded.device != "cpu":
        return encoded
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[:, :keep]))


def decode_windows(
    model: Any,
    windows: Sequence[Window],
    beam_size: int,
    fallback: Fallback | None,
    *,
    trim_encoder: bool = False,
    rerank: bool = False,
    keep_encodings: bool = False,
) -> list[Decoded]:
    """Decodes `windows` as one batch with `model` (a faster-whisper `WhisperModel`); a window
    that fails the quality checks goes to `fallback` instead (with no `fallback`, it keeps its
    decode: a live partial, replaced within a second, is not worth a decode at every temperature).

    `trim_encoder`: the encoder reads the batch's longest window and a second of padding (at
    least 10 s in all) instead of 30 s (Whisper was trained on 30 s; CTranslate2 takes shorter
    inputs), so the encoder's work shrinks with the audio. Live streams' turns use it. Lab,
    beam 5 in batches of 4, clips padded as a stream pads a turn: 8 LibriSpeech clips WER 6.43 ->
    4.68 %, 34 earnings-call clips 7.00 -> 6.43 %, 1.4-1.8x faster; greedy, the 8 LibriSpeech
    clips whole and their first 1.1 and 2.5 s, 2.4x faster, whole clips 4.09 -> 4.68 %. Batch
    transcription keeps 30 s: trimmed inputs are not what Whisper was trained on, and these
    samples are small.

    `rerank`: the windows with hotwords have their beam re-ranked by the unprompted model, as
    each would be decoded on its own (`rerank`; a custom model's second pass). `keep_encodings`:
    the encoder outputs of the windows that start a recording (not a continuation of one) are
    kept by the model for a later `Engine.log_likelihoods` of the same window."""
    if not windows:
        return []
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    spectra = [model.feature_extractor(w.samples)[..., :-1] for w in windows]
    input_frames = model.feature_extractor.nb_max_frames
    if trim_encoder:
        longest = max(f.shape[-1] for f in spectra)
        input_frames = min(input_frames, max(TRIM_MIN_FRAMES, longest + TRIM_MARGIN_FRAMES))
        input_frames += input_frames % 2  # the encoder's first layers halve the frames
    features = np.stack([pad_or_trim(f, input_frames) for f in spectra])
    encoder_output = model.encode(features)
    if keep_encodings and hasattr(model, "keep_encodings"):
        model.keep_encodings(features, encoder_output, [i for i, w in enumerate(windows) if not w.continued])
    prompts = [
        model.get_prompt(
            tokenizer,
            previous_tokens=tokenizer.encode(" " + w.initial_prompt.strip()) if w.initial_prompt else [],
            hotwords=w.hotwords,
        )
        for w in windows
    ]
    heads = [
        1 + min(len(tokenizer.encode(" " + w.hotwords.strip())), model.max_length // 2 - 1) if w.hotwords else 1
        for w in windows
    ]
    prompts = _same_start(prompts, tokenizer, heads)
    max_length = model.max_length
    if trim_encoder:
        # A loop of repeated tokens (which a short input makes likelier) stops at about ten
        # tokens a second of input instead of running to 448: speech has fewer than seven.
        max_length = min(max_length, max(len(p) for p in prompts) + input_frames // 10 + 20)
    chosen = [rerank and bool(w.hotwords) for w in windows]
    reranking = getattr(model.model, "reranking", None)
    with reranking(tokenizer.sot_sequence, tokenizer.eot, chosen) if reranking and any(chosen) else nullcontext():
        results = model.model.generate(
            encoder_output,
            prompts,
            beam_size=beam_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            max_initial_timestamp_index=int(round(MAX_INITIAL_TIMESTAMP_S / model.time_precision)),
        )
    segmented: list[list[dict[str, Any]]] = []
    frames: list[int] = []
    verdicts: list[str] = []
    seeks: list[float] = []  # where each decode's own timestamps say to go on, in seconds
    endings: list[bool] = []  # closed with a single timestamp: the decoder heard all there was
    for window, result in zip(windows, results):
        tokens = list(result.sequences_ids[0])
        verdict = _verdict(tokenizer, tokens, result.scores[0], result.no_speech_prob)
        verdicts.append("ok" if verdict == "retry" and fallback is None else verdict)
        duration = len(window.samples) / SAMPLE_RATE
        size = min(int(np.ceil(duration * model.frames_per_second)), model.feature_extractor.nb_max_frames)
        frames.append(size)
        segments, seek, finished = model._split_segments_by_timestamps(
            tokenizer=tokenizer,
            tokens=tokens if verdicts[-1] == "ok" else [],
            time_offset=0.0,
            segment_size=size,
            segment_duration=duration,
            seek=0,
        )
        seeks.append(seek / model.frames_per_second)
        endings.append(finished)
        segmented.append(segments)
    if any(any(s["tokens"] for s in segments) for segments in segmented):
        model.add_word_timestamps(
            segmented, tokenizer, encoder_output, frames, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS, 0.0
        )
    resumes: list[float | None] = []
    for index, (window, segments) in enumerate(zip(windows, segmented)):
        # A decode that did not close with a single timestamp (Whisper's "nothing more here")
        # resumes from its last word's end, as faster-whisper's own loop does with word
        # timestamps: a prompted decode often stops after a sentence with no timestamp at all,
        # which without this lost the rest of the window (devops recordings, model from text,
        # second pass batched: WER 43.5 %, one window at a time 28.4 %). Not for live turns
        # (a trimmed encoder input): a turn is shorter than a window, and what follows its last
        # word is the silence that ended it, which decoded on its own gave invented words
        # ("And then.") and, failing the quality checks, a fallback at every temperature
        # (2.2-2.4 s for 0.6 s of audio, other streams' ends of turns waiting behind it).
        ends = [w["end"] for s in segments for w in s.get("words", ())]
        resume = seeks[index]
        if not endings[index] and ends and ends[-1] > 0 and not trim_encoder:
            resume = round(ends[-1] * model.frames_per_second) / model.frames_per_second
        duration = len(window.samples) / SAMPLE_RATE
        ok = verdicts[index] == "ok" and 0 < resume < duration - window.min_rest_s
        resumes.append(resume if ok else None)
    out = []
    for window, verdict, segments, resume in zip(windows, verdicts, segmented, resumes):
        if verdict == "retry" and fallback is not None:
            out.append(fallback(window))
            continue
        # As faster-whisper's own loop does: a segment whose words align to no audio (start ==
        # end once word times are in) is text the decoder went on writing past the speech. On a
        # live turn of LibriSpeech ending in digital silence, the whole sentence came again, all
        # at 6.80-6.80 s of a 6.94 s turn.
        segments = [s for s in segments if s["start"] != s["end"]]
        words = decoder_words(
            (word["word"], word["start"], word["end"], word["probability"])
            for segment in segments
            for word in segment.get("words", ())
        )
        text = "".join(tokenizer.decode([t for t in s["tokens"] if t < tokenizer.eot]) for s in segments).strip()
        out.append(Decoded(text=text, words=words, resume_s=resume))
    return out



def _same_start(prompts: list[list[int]], tokenizer: Tokenizer, heads: Sequence[int] | None = None) -> list[list[int]]:
    """CTranslate2 needs <|startoftranscript|> at the same position in every item of a batch, so
    longer prompts are cut to the shortest. `heads`: how many tokens each prompt opens with that
    are to be cut last (<|startofprev|> and the window's hotwords, which faster-whisper puts
    before the carried text): the oldest text after them goes first, since a custom model's
    context puts the most relevant last. Cutting from the very front instead dropped the
    hotwords of a custom model's windows first (with the beam not re-ranked, one of the
    differences that made a batched second pass 40.6 % WER against 28.4 % one window at a time,
    devops recordings with a model from text). Padding instead was measured and is worse: repeated
    <|startofprev|> raised WER on the joined Twitter call from 6.0 % to 13.6 %, spaces to 6.5 %."""
    starts = [p.index(tokenizer.sot) for p in prompts]
    shortest = min(starts)
    if shortest == max(starts):
        return prompts
    if shortest == 0:
        return [p[start:] for p, start in zip(prompts, starts)]
    out = []
    for index, (prompt, start) in enumerate(zip(prompts, starts)):
        head = max(1, min(heads[index] if heads else 1, start))
        from_text = min(start - shortest, start - head)  # the carried text's oldest tokens first,
        from_head = start - shortest - from_text  # then the head's last (<|startofprev|> stays)
        out.append([*prompt[: head - from_head], *prompt[head + from_text :]])
    return out


def _verdict(tokenizer: Tokenizer, tokens: list[int], score: float, no_speech_prob: float) -> str:
    """"ok", "silent" (faster-whisper would skip the window) or "retry" (it would fall back)."""
    length = len(tokens)
    # ctranslate2's score is the length-normalised log-probability; faster-whisper's
    # avg_logprob divides the cumulated one by length + 1.
    avg_logprob = score * length / (length + 1)
    text = tokenizer.decode([t for t in tokens if t < tokenizer.eot])
    if no_speech_prob > NO_SPEECH_LIMIT and avg_logprob < LOG_PROB_LIMIT:
        return "silent"
    if text.strip() and (get_compression_ratio(text) > COMPRESSION_RATIO_LIMIT or avg_logprob < LOG_PROB_LIMIT):
        return "retry"
    return "ok"


def split_into_lanes(samples: np.ndarray, lanes: int) -> list[tuple[int, int]]:
    """(start, end) sample ranges of `lanes` contiguous parts of about equal length, each cut in
    the longest pause (Silero VAD) within an eighth of a part of the even cut point."""
    if lanes <= 1:
        return [(0, len(samples))]
    speech = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=160, speech_pad_ms=0))
    gaps = [(a["end"], b["start"]) for a, b in zip(speech, speech[1:])]
    step = len(samples) / lanes
    cuts = []
    for index in range(1, lanes):
        target = index * step
        near = [g for g in gaps if abs((g[0] + g[1]) / 2 - target) <= step / 8]
        cut = (lambda g: (g[0] + g[1]) // 2)(max(near, key=lambda g: g[1] - g[0])) if near else int(target)
        cuts.append(cut)
    bounds = [0, *cuts, len(samples)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def decode_all(
    model: Any,
    windows: Sequence[Window],
    beam_size: int,
    fallback: Fallback | None,
    batch_size: int,
    *,
    trim_encoder: bool = False,
    rerank: bool = False,
    keep_encodings: bool = False,
) -> list[list[tuple[int, Decoded]]]:
    """Decodes `windows` (of any length) in batches of up to `batch_size`: each window's first
    30 s, then, where the decoder ended early, the rest again, until every window is done.
    Returns each window's pieces as (offset in samples from the window's start, decoded)."""
    pieces: list[list[tuple[int, Decoded]]] = [[] for _ in windows]
    pending = [(index, 0, window) for index, window in enumerate(windows)]
    lengths = {id(w): _prompt_tokens(model, w) for w in windows}
    while pending:
        batch, pending = _take_batch(pending, batch_size, lambda w: lengths.get(id(w), 0))
        decoded = decode_windows(
            model,
            [w for _, _, w in batch],
            beam_size,
            fallback,
            trim_encoder=trim_encoder,
            rerank=rerank,
            keep_encodings=keep_encodings,
        )
        for (index, offset, window), piece in zip(batch, decoded):
            pieces[index].append((offset, piece))
            if piece.resume_s is not None:
                cut = int(piece.resume_s * SAMPLE_RATE)
                # Not conditioned on the text before it: measured, carrying it did not help
                # (joined Twitter call, lanes of 60 s: 5.74 % without, 5.97 % with).
                rest = replace(window, samples=window.samples[cut:], continued=True)
                lengths[id(rest)] = lengths.get(id(window), 0)
                pending.append((index, offset + cut, rest))
    return pieces


PROMPT_SLACK = 0.85
"""A batch holds windows whose prompts are at least this share of its longest one's: every
prompt is cut to the shortest of its batch (`_same_start`), and cutting a custom model's
context to a fraction of itself undid its gain (Twitter call joined into recordings: 5.36 %
one window at a time, 5.97 % batched without this rule)."""


def _take_batch(pending: list[Any], batch_size: int, length: Callable[[Window], int]) -> tuple[list[Any], list[Any]]:
    """The first pending window and up to `batch_size - 1` others whose prompts are of a similar
    length (so little of any prompt is cut), in their order; the rest stay pending."""
    first = length(pending[0][2])
    batch, rest = [], []
    for item in pending:
        size = length(item[2])
        similar = min(size, first) >= PROMPT_SLACK * max(size, first)
        (batch if similar and len(batch) < batch_size else rest).append(item)
    return batch, rest


def _prompt_tokens(model: Any, window: Window) -> int:
    text = " ".join(t for t in (window.hotwords, window.initial_prompt) if t)
    return len(model.hf_tokenizer.encode(text).ids) if text else 0
