"""Cutting a live stream into turns, and transcribing each as it grows.

A turn starts when the VAD hears speech (with a little audio before it, so the first word is
whole) and ends on silence: after ``min_turn_silence`` when its text reads as finished (its
`endpointing` confidence reaches the session's threshold: by default, a sentence end), after
``max_turn_silence`` in any case, or at once on ForceEndpoint or Terminate. While it grows, the
audio so far is transcribed again every ``PARTIAL_EVERY_MS`` for a partial Turn. The end-of-turn
decode starts ``EARLY_DECODE_MS`` into a pause, so a turn that ends at ``min_turn_silence`` is
sent then, not a decode later. Plain, synchronous code: the server runs it off the event loop,
one call at a time per stream.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from hark_core.formatting import restyle
from hark_streaming import protocol
from hark_streaming.endpointing import end_of_turn_confidence
from hark_streaming.protocol import StreamWord, TurnSettings
from hark_streaming.vad import FRAME, StreamingVad
from sagemaker_jobs.asr.audio import SAMPLE_RATE
from sagemaker_jobs.asr.result import TranscriptionResult
from sagemaker_jobs.asr.timing import in_order

FRAME_MS = FRAME * 1000 // SAMPLE_RATE
LEFT_PAD_MS = 1000
"""Audio before the frame that starts a turn, decoded with it. On phone-quality speech the VAD's
probability climbs slowly and crosses the threshold up to 0.9 s into a turn's first words (the
earnings calls: "We did this by making the experience..." started at "making" with 300 ms);
Whisper reads a second of lead-in silence without harm, and the trimmed encoder input is 10 s
long in any case, so the pad costs nothing."""
PARTIAL_EVERY_MS = 800
MAX_TURN_MS = 25_000
"""A turn is cut here even without a pause: Whisper reads 30-second windows."""
EARLY_DECODE_MS = 200
"""How far into a pause the end-of-turn decode starts (queued after other streams' ends of
turns): the turn's audio after it is silence, so the decode is the one `min_turn_silence` would
have run, and the turn ends as soon as the silence does instead of one decode later. Speech
resuming discards it."""
VAD_HYSTERESIS = 0.15
"""Inside a turn a frame is speech down to this below `vad_threshold` (Silero's own segmentation
ends speech 0.15 below where it starts it): quiet stretches of a speaker do not end the turn."""

Transcribe = Callable[[np.ndarray], TranscriptionResult]
TryTranscribe = Callable[[np.ndarray], Optional[TranscriptionResult]]
"""Transcribes, or returns None when the decode was dropped (the engine is wanted more urgently)."""


class TurnTracker:
    def __init__(
        self,
        settings: TurnSettings,
        transcribe: Transcribe,
        partial: Optional[TryTranscribe] = None,
        report_language: bool = False,
        early: Optional[TryTranscribe] = None,
    ) -> None:
        self.settings = settings
        self._report_language = report_language
        self._transcribe = transcribe
        self._partial = partial or transcribe
        self._early = early
        self._vad = StreamingVad()
        self._unscored = np.zeros(0, dtype=np.float32)
        self._pre: list[np.ndarray] = []  # the frames before a turn, for its left pad
        self._turn: list[np.ndarray] = []
        self._turn_start = 0  # stream sample where the turn's audio starts
        self._position = 0  # stream samples scored so far
        self._silence_ms = 0
        self._since_partial_ms = 0
        self._candidate: Optional[TranscriptionResult] = None
        self._judged = False  # whether the candidate has been judged finished or not
        self._order = 0
        self._partial_sent = False

    @property
    def audio_seconds(self) -> float:
        return self._position / SAMPLE_RATE

    def feed(self, samples: np.ndarray) -> list[dict[str, Any]]:
        """Messages for the client after ``samples`` (16 kHz float32) arrived."""
        events: list[dict[str, Any]] = []
        audio = np.concatenate([self._unscored, samples])
        probabilities = self._vad(samples)
        scored = len(probabilities) * FRAME
        self._unscored = audio[scored:]
        for i, probability in enumerate(probabilities):
            threshold = self.settings.vad_threshold - (VAD_HYSTERESIS if self._turn else 0.0)
            self._frame(audio[i * FRAME : (i + 1) * FRAME], bool(probability >= threshold), events)
        due = max(PARTIAL_EVERY_MS, len(self._turn) * FRAME_MS // 4)
        if self._turn and self._since_partial_ms >= due and self._silence_ms < self.settings.min_turn_silence:
            result = self._partial(self._turn_audio())
            if result is not None:
                self._since_partial_ms = 0
            if result is not None and result.words:
                events.append(self._message(result, end_of_turn=False, formatted=False))
                self._partial_sent = True
        return events

    def force_endpoint(self) -> list[dict[str, Any]]:
        return self._end(None) if self._turn else []

    def finish(self) -> list[dict[str, Any]]:
        """The last turn, ended (on Terminate)."""
        return self.force_endpoint()

    def _frame(self, frame: np.ndarray, speech: bool, events: list[dict[str, Any]]) -> None:
        self._position += len(frame)
        if not self._turn:
            self._pre = [*self._pre, frame][-(LEFT_PAD_MS // FRAME_MS) :]
            if speech:
                self._turn = list(self._pre)
                self._turn_start = self._position - sum(len(f) for f in self._pre)
                self._pre, self._silence_ms, self._since_partial_ms = [], 0, 0
            return
        self._turn.append(frame)
        self._since_partial_ms += FRAME_MS
        if speech:
            self._silence_ms, self._candidate, self._judged = 0, None, False
        else:
            self._silence_ms += FRAME_MS
        s = self.settings
        if self._early and self._candidate is None and EARLY_DECODE_MS <= self._silence_ms < s.min_turn_silence:
            self._candidate = self._early(self._turn_audio())  # None if the decoder dropped it
        if self._silence_ms >= s.min_turn_silence and not self._judged:
            self._judged = True
            if self._candidate is None:
                self._candidate = self._transcribe(self._turn_audio())
            if end_of_turn_confidence(self._candidate.text) >= s.end_of_turn_confidence_threshold:
                events.extend(self._end(self._candidate))
                return
        if self._silence_ms >= s.max_turn_silence or len(self._turn) * FRAME_MS >= MAX_TURN_MS:
            events.extend(self._end(self._candidate))

    def _end(self, result: Optional[TranscriptionResult]) -> list[dict[str, Any]]:
        result = result or self._transcribe(self._turn_audio())
        events: list[dict[str, Any]] = []
        if result.words or self._partial_sent:
            events.append(self._message(result, end_of_turn=True, formatted=False, confidence=1.0))
            if self.settings.format_turns:
                events.append(self._message(result, end_of_turn=True, formatted=True, confidence=1.0))
            self._order += 1
        self._turn, self._candidate, self._partial_sent, self._judged = [], None, False, False
        self._silence_ms = self._since_partial_ms = 0
        return events

    def _turn_audio(self) -> np.ndarray:
        return np.concatenate(self._turn)

    def _message(
        self, result: TranscriptionResult, end_of_turn: bool, formatted: bool, confidence: Optional[float] = None
    ) -> dict[str, Any]:
        offset = self._turn_start * 1000 // SAMPLE_RATE
        words = []
        for w in in_order(result.words):
            text = w.text if formatted else restyle(w.text, punctuate=False, format_text=False)
            if text:
                words.append(StreamWord(w.start + offset, w.end + offset, text, round(w.confidence, 4), end_of_turn))
        if confidence is None:
            # How finished the text reads, scaled by how much of the needed silence has passed.
            confidence = end_of_turn_confidence(result.text) * min(1.0, self._silence_ms / max(self.settings.min_turn_silence, 1))
        transcript = result.text if formatted else " ".join(w.text for w in words)
        language = None
        if end_of_turn and self._report_language:
            language = (result.language_code, result.language_confidence)
        return protocol.turn(self._order, transcript, words, end_of_turn, confidence, formatted, language)
