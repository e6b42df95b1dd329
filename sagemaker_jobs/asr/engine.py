"""The speech engine: a faster-whisper model loaded once, and the one way Hark decodes with it.

`raw_model_kwargs` and `raw_decode_kwargs` are the single source of truth for how the model is
loaded and how it decodes. The engine uses them, and so does any benchmark that calls
faster-whisper directly, so both measure exactly the same thing.
"""

import copy
import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import fmean
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import Segment, TranscriptionInfo

from sagemaker_jobs.asr import speech_models
from sagemaker_jobs.asr.batch import Decoded, Window, attended_output, decode_all, split_into_lanes
from sagemaker_jobs.asr.errors import InvalidOptionsError
from sagemaker_jobs.asr.rerank import RerankingWhisper
from sagemaker_jobs.asr.result import TranscriptionResult, Word, decoder_words
from sagemaker_jobs.env import int_from_env

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 8
MIN_LANE_S = 60
"""A long recording is cut into lanes of at least this: every cut may cost a word."""
DETECTION_WINDOWS = 3
"""How many 30-second windows of speech `Engine.detect_language` hears."""
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class EngineSettings:
    model_dir: Path
    """A CTranslate2 Whisper model: model.bin, config.json, tokenizer.json, vocabulary."""
    model_name: str
    """Reported with every result, so a transcript says which model made it."""
    device: str = "auto"
    """cpu, cuda, or auto: CUDA when a GPU is visible, else CPU."""
    compute_type: str = "default"
    """A CTranslate2 compute type; "default" means int8 on CPU and float16 on CUDA."""
    cpu_threads: int = 0
    """0 leaves it to CTranslate2 (OMP_NUM_THREADS, else 4)."""
    beam_size: int = 5
    workers: int = 1
    """Decodes the model runs at once, each from a thread of its own (CTranslate2's
    inter_threads, faster-whisper's num_workers), each on `cpu_threads` threads."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], model: str | None = None) -> "EngineSettings":
        """The engine of HARK_MODEL_DIR (else the bundled tiny.en), or of the shipped `model`
        (a `speech_models` name) when one is given, with the rest of the settings from `environ`."""
        if model is not None:
            model_dir, default_name = speech_models.model_dir(model, environ), model
        elif model_dir_value := environ.get("HARK_MODEL_DIR"):
            model_dir = Path(model_dir_value)
            default_name = model_dir.name
        else:
            model_dir, default_name = speech_models.model_dir(speech_models.TINY_EN, environ), speech_models.TINY_EN
        return cls(
            model_dir=model_dir,
            model_name=(environ.get("HARK_MODEL_NAME") if model is None else None) or default_name,
            device=environ.get("HARK_DEVICE") or cls.device,
            compute_type=environ.get("HARK_COMPUTE_TYPE") or cls.compute_type,
            cpu_threads=int_from_env(environ, "HARK_CPU_THREADS", cls.cpu_threads),
            beam_size=int_from_env(environ, "HARK_BEAM_SIZE", cls.beam_size),
            workers=int_from_env(environ, "HARK_ENGINE_WORKERS", cls.workers),
        )


@dataclass(frozen=True)
class DecodeOptions:
    """Per-request hints to the decoder: the seam through which custom models bias decoding."""

    initial_prompt: str | None = None
    hotwords: str | None = None
    beam_size: int | None = None
    """Overrides the engine's beam for this decode (live partials decode greedily: 1)."""
    temperature: tuple[float, ...] | None = None
    """faster-whisper's temperatures to try in turn (its fallback); None: its default ladder."""
    language: str | None = None
    """Whisper's code of the language spoken; None: detected by a multilingual model (an
    English-only model always decodes English)."""

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> "DecodeOptions":
        """Reads the text hints it knows and ignores other keys, which belong to later features."""
        values = {name: options.get(name) for name in ("initial_prompt", "hotwords")}
        for name, value in values.items():
            if value is not None and not isinstance(value, str):
                raise InvalidOptionsError(f"option {name!r} must be a string")
        return cls(**values)

    @property
    def biased(self) -> bool:
        return bool(self.initial_prompt or self.hotwords)


def raw_model_kwargs(settings: EngineSettings) -> dict[str, Any]:
    """Keyword arguments for `faster_whisper.WhisperModel(...)`."""
    device = resolve_device(settings.device)
    return {
        "model_size_or_path": str(settings.model_dir),
        "device": device,
        "compute_type": _resolve_compute_type(settings.compute_type, device),
        "cpu_threads": settings.cpu_threads,
        "num_workers": settings.workers,
    }


def raw_decode_kwargs(settings: EngineSettings, options: DecodeOptions = DecodeOptions()) -> dict[str, Any]:
    """Keyword arguments for `WhisperModel.transcribe(audio, ...)`.

    Everything not named here stays at faster-whisper's default, so Hark's accuracy is
    faster-whisper's with the same model and settings.
    """
    hints = {name: value for name, value in asdict(options).items() if value is not None}
    return {"beam_size": settings.beam_size, "word_timestamps": True, **hints}


class Engine:
    """Loads the model once; every `transcribe` call reuses it."""

    def __init__(self, settings: EngineSettings) -> None:
        if not (settings.model_dir / "model.bin").is_file():
            # Without this check faster-whisper would take the path for a model name and try
            # to download it from the Hugging Face Hub.
            raise FileNotFoundError(f"no CTranslate2 model (model.bin) in {settings.model_dir}")
        model_kwargs = raw_model_kwargs(settings)
        logger.info(
            "loading speech model %s from %s on %s (%s)",
            settings.model_name,
            settings.model_dir,
            model_kwargs["device"],
            model_kwargs["compute_type"],
        )
        self.settings = settings
        self._model = PromptBudgetWhisperModel(**model_kwargs)
        self._language = "en"

    def speaking(self, language: str) -> "Engine":
        """This engine (the same loaded model) decoding `language` (Whisper's code) wherever a
        decode does not name one: what a request's language or its detected language sets. An
        English-only model decodes English whatever it is told, and is returned as it is."""
        if not self.multilingual:
            return self
        view = copy.copy(self)
        view._language = language
        return view

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        """Whisper's code of the language spoken in `samples`, and its probability. The speech
        of up to `DETECTION_WINDOWS` 30-second windows is heard (silence and music left out by
        the VAD), so a recording that opens with hold music is still judged on its speech. An
        English-only model answers English with certainty."""
        if not self.multilingual:
            return "en", 1.0
        language, probability, _ = self._model.detect_language(
            samples, vad_filter=True, language_detection_segments=DETECTION_WINDOWS
        )
        return language, float(probability)

    def forget_encodings(self) -> None:
        """Drops the encoder outputs kept for reuse (`PromptBudgetWhisperModel.encode`). For
        benchmarks that decode the same audio under several conditions: without this, every
        condition after the first found its encodings ready and was timed without them."""
        self._model.forget_encodings()

    @property
    def decoders(self) -> int:
        """How many decodes this engine runs side by side (`EngineSettings.workers`); calls beyond
        that wait inside CTranslate2 for a free one."""
        return self.settings.workers

    @property
    def multilingual(self) -> bool:
        """False for an English-only model (``*.en``), which cannot detect languages."""
        return bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        samples: np.ndarray,
        options: DecodeOptions = DecodeOptions(),
        *,
        skip_tail_s: float = 0.0,
        on_words: Callable[[tuple[Word, ...]], None] | None = None,
    ) -> TranscriptionResult:
        """Transcribes 16 kHz mono float32 samples (see `audio.decode`).

        `skip_tail_s` > 0 stops decoding once a segment ends within that many seconds of the end
        of the audio, so a short tail after the last segment is not decoded as a window of its own.
        Custom models use it: a prompted Whisper decodes such a tail almost every time, which
        doubles the decode time and mostly yields invented words ("Thank you.").

        `on_words` is called with the words so far after each segment while the decode goes on
        (a custom model's second pass starts on the windows already heard)."""
        if options.language is None and self.multilingual:
            options = replace(options, language=self._language)
        segments, info = self._model.transcribe(samples, **raw_decode_kwargs(self.settings, options))
        if skip_tail_s > 0:
            segments = _until_tail(segments, info.duration - skip_tail_s)
        return _to_result(segments, info, self.settings.model_name, on_words)

    def transcribe_many(
        self,
        items: Sequence[tuple[np.ndarray, DecodeOptions]],
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        skip_tail_s: float = 0.5,
        trim_encoder: bool = False,
        fallback: bool = True,
        rerank: bool = False,
        keep_encodings: bool = False,
    ) -> list[TranscriptionResult]:
        """Transcribes several recordings as batches (see `batch`): short recordings from
        different requests, a custom model's second-pass windows, live streams' turns. All items
        decode with the beam of the first (callers group by beam). `skip_tail_s`: as for
        `transcribe`; `trim_encoder` and no `fallback`: see `batch.decode_windows` (live partials);
        `rerank`: items with hotwords re-ranked as `transcribe` does; `keep_encodings`: each
        item's encoder output kept for a `log_likelihoods` of it to reuse (a custom model's windows)."""
        if self.multilingual:  # batches decode English only; detection is per recording
            return [self.transcribe(samples, options) for samples, options in items]
        if not items:
            return []
        beam = items[0][1].beam_size or self.settings.beam_size
        windows = [Window(samples, options.initial_prompt, options.hotwords, skip_tail_s) for samples, options in items]
        pieces = decode_all(
            self._model,
            windows,
            beam,
            self._fallback(beam) if fallback else None,
            batch_size,
            trim_encoder=trim_encoder,
            rerank=rerank,
            keep_encodings=keep_encodings,
        )
        return [
            _joined_result(parts, len(samples) / SAMPLE_RATE, self.settings.model_name)
            for parts, (samples, _) in zip(pieces, items)
        ]

    def transcribe_lanes(
        self, samples: np.ndarray, options: DecodeOptions = DecodeOptions(), lanes: int = DEFAULT_BATCH_SIZE
    ) -> TranscriptionResult:
        """A long recording cut into `lanes` parts at its longest pauses, the parts decoded side
        by side as one batch. Faster than `transcribe`, a little less accurate: each cut is a
        place where Whisper may drop a word (see `batch` for the measurements)."""
        if self.multilingual:
            return self.transcribe(samples, options)
        count = max(1, min(lanes, int(len(samples) / SAMPLE_RATE // MIN_LANE_S)))
        bounds = split_into_lanes(samples, count)
        beam = options.beam_size or self.settings.beam_size
        windows = [Window(samples[a:b], options.initial_prompt, options.hotwords) for a, b in bounds]
        pieces = decode_all(self._model, windows, beam, self._fallback(beam), count)
        shifted = [(start + offset, piece) for (start, _), parts in zip(bounds, pieces) for offset, piece in parts]
        return _joined_result(shifted, len(samples) / SAMPLE_RATE, self.settings.model_name)

    def log_likelihoods(self, samples: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]:
        """How well each text fits the audio (at most 30 s): the sum of the log-probabilities the
        decoder gives its tokens, teacher-forced after `prompt` (as a decode's prompt would be).
        Texts of the same audio compare directly; custom models use it to confirm a phrase
        substitution acoustically (see `custom.verify`)."""
        model = self._model
        features = model.feature_extractor(samples)
        # The window exactly as a decode of the same samples encodes it (faster-whisper leaves
        # out the last frame), so the encoder's output is the decode's, from the model's cache.
        frames = min(features.shape[1] - 1, model.feature_extractor.nb_max_frames)
        encoded = model.encode(pad_or_trim(features[:, :frames], model.feature_extractor.nb_max_frames))
        # The decoder attends to the encoder's output of the audio and a second after it (at
        # least 10 s: the bounds of live streams' trimmed encoder input, `batch.TRIM_*`), not to
        # the 30 s window's padding; the encoder still reads the full window, so its output is
        # still the decode's, from the cache. Scores move by 1-3 nats. Chosen on the TUNE sets of
        # bench/custom_model.py (paired A/B, 2026-12-05): devops 30 terms -27.9 -> -28.3 %, decode
        # time 1.91 -> 1.76x no model; Twitter clips -18.2 % both, 1.34 -> 1.26x; devops 1,000
        # phrases -20.5 -> -20.2 %, recall 0.50 -> 0.46 (Kustomize confirmed in 2 clips fewer),
        # 1.77 -> 1.63x.
        encoded = attended_output(encoded, frames)
        frames = min(frames, 2 * encoded.shape[1])
        multilingual = model.model.is_multilingual
        tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language=self._language)
        start = list(tokenizer.sot_sequence)
        # The decoder has `max_length` positions (448) for the prompt, the start, the text and
        # its end: a long window's text (radio read as strings of digits: 270 tokens) after a
        # long prompt of phrases does not fit, and CTranslate2 refuses it. The prompt gives way
        # first, from its start, as a decode's previous text does; a text longer than all the
        # room left is scored on its start (it cannot be a decode's: a decode has the same room).
        tokens = [tokenizer.encode(" " + text.strip()) for text in texts]
        spare = 2  # with 1 to spare, align still asked for position 448
        if prompt and prompt.strip():
            # The previous-text slot holds at most half the context, as in a decode; its marker
            # (sot_prev) takes one position more.
            longest = max(map(len, tokens), default=0)
            fits = min(model.max_length // 2 - 1, model.max_length - len(start) - spare - 1 - longest)
            prompt_ids = tokenizer.encode(" " + prompt.strip())
            if fits > 0:
                start = [tokenizer.sot_prev, *prompt_ids[max(0, len(prompt_ids) - fits) :], *start]
        tokens = [ids[: model.max_length - len(start) - spare] for ids in tokens]
        aligned = iter(model.model.align_each(encoded, start, [[ids] for ids in tokens if ids], frames))
        return [
            sum(math.log(max(p, 1e-10)) for p in next(aligned)[0].text_token_probs) if ids else 0.0 for ids in tokens
        ]

    def _fallback(self, beam: int) -> Callable[[Window], Decoded]:
        def decode_alone(window: Window) -> Decoded:
            result = self.transcribe(window.samples, DecodeOptions(window.initial_prompt, window.hotwords, beam))
            return Decoded(result.text, result.words)

        return decode_alone


def _joined_result(pieces: Sequence[tuple[int, Decoded]], duration_s: float, model_name: str) -> TranscriptionResult:
    """One result from decoded pieces at their offsets (in samples) in the recording."""
    pieces = sorted(pieces, key=lambda pair: pair[0])
    words = tuple(
        replace(w, start=w.start + offset * 1000 // SAMPLE_RATE, end=w.end + offset * 1000 // SAMPLE_RATE)
        for offset, piece in pieces
        for w in piece.words
    )
    return TranscriptionResult(
        text=" ".join(piece.text for _, piece in pieces if piece.text),
        words=words,
        confidence=fmean(w.confidence for w in words) if words else 0.0,
        audio_duration_s=round(duration_s, 3),
        language_code="en_us",
        model_name=model_name,
        language_confidence=1.0,
    )


ENCODER_CACHE_WINDOWS = 8
"""Encoder outputs kept (about 2.3 MB each for tiny.en, 1500 x 384 floats; 7.7 MB for large):
one batch of a custom model's second pass (`DEFAULT_BATCH_SIZE`, `keep_encodings`)."""


class PromptBudgetWhisperModel(WhisperModel):
    """faster-whisper's model with two changes to hotword-biased decoding (custom models and
    per-request hints), and none to unbiased decoding.

    1. The prompted beam's hypotheses are re-ranked with the model's unprompted opinion of
       them (see `rerank`).
    2. Hotwords and the carried transcript together take at most half of the 448-token
       decoder context, as Whisper's own prompt does. faster-whisper caps each of them at
       half on its own, so from the second 30-second window on, a biased decode's prompt can
       fill most of the context, and the generation budget (448 tokens in all) runs out
       mid-window: the decoder then skips speech or loops (measured on 1.5-3 min recordings
       with a custom model: WER 4.8 % unbiased, 8.3 % biased, 5.6 % with this limit). The
       most recent transcript is kept.

    Without hotwords nothing changes, so the unbiased path stays exactly faster-whisper's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model = RerankingWhisper(self.model, kwargs.get("num_workers", 1))
        self._encoded: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._encoded_lock = threading.Lock()

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        """The encoder's output for one 30-second window, remembered for the last few windows.

        A custom model's second pass decodes each window of the first pass again and then scores
        texts against it (`log_likelihoods`); a clip is one window, so without this its audio went
        through the encoder three times, the largest single cost of a custom model on clips. The
        key is the window's features themselves, so a hit is the same input, never a near one."""
        if features.ndim != 2:
            return super().encode(features)  # a batch: see `keep_encodings`
        key = self._key(features)
        with self._encoded_lock:
            if key in self._encoded:
                self._encoded.move_to_end(key)
                return self._encoded[key]
        encoded = super().encode(features)
        self._remember(key, encoded)
        return encoded

    def forget_encodings(self) -> None:
        with self._encoded_lock:
            self._encoded.clear()

    def keep_encodings(self, features: np.ndarray, encoded: ctranslate2.StorageView, items: Sequence[int]) -> None:
        """Remembers the encoder outputs of a batch's `items` (`features`: batch x mels x frames)
        as `encode` would have for each window alone. A custom model's second pass decodes the
        windows of a long recording as a batch and then scores each (`log_likelihoods`), which
        otherwise encoded every window twice (a third of the second pass on a 3-minute recording).
        On a CPU only, where one output is cut out of the batch's cheaply."""
        if encoded.device != "cpu":
            return
        outputs = np.asarray(encoded)
        for index in items[-ENCODER_CACHE_WINDOWS:]:
            output = ctranslate2.StorageView.from_array(np.ascontiguousarray(outputs[index : index + 1]))
            self._remember(self._key(features[index]), output)

    @staticmethod
    def _key(features: np.ndarray) -> tuple[Any, ...]:
        features = np.ascontiguousarray(features)
        return (features.shape, hashlib.blake2b(features.view(np.uint8), digest_size=16).digest())

    def _remember(self, key: tuple[Any, ...], encoded: ctranslate2.StorageView) -> None:
        with self._encoded_lock:
            self._encoded[key] = encoded
            while len(self._encoded) > ENCODER_CACHE_WINDOWS:
                self._encoded.popitem(last=False)

    def generate_with_fallback(self, encoder_output: Any, prompt: list[int], tokenizer: Any, options: Any) -> Any:
        start = tokenizer.sot_sequence if options.hotwords else None
        # The hypotheses are scored against the audio they were heard in (`rerank.attended`).
        with self.model.reranking(start, tokenizer.eot, timestamp_begin=tokenizer.timestamp_begin):
            return super().generate_with_fallback(encoder_output, prompt, tokenizer, options)

    def get_prompt(
        self,
        tokenizer: Any,
        previous_tokens: list[int],
        without_timestamps: bool = False,
        prefix: str | None = None,
        hotwords: str | None = None,
    ) -> list[int]:
        if hotwords and not prefix and previous_tokens:
            budget = self.max_length // 2 - 1
            used = min(len(tokenizer.encode(" " + hotwords.strip())), budget)
            keep = budget - used
            previous_tokens = previous_tokens[-keep:] if keep > 0 else []
        return super().get_prompt(tokenizer, previous_tokens, without_timestamps, prefix, hotwords)


def _until_tail(segments: Iterable[Segment], tail_start_s: float) -> Iterable[Segment]:
    # Decoding happens as the generator is consumed: not asking for more decodes nothing more.
    for segment in segments:
        yield segment
        if segment.end >= tail_start_s:
            return


def _to_result(
    segments: Iterable[Segment],
    info: TranscriptionInfo,
    model_name: str,
    on_words: Callable[[tuple[Word, ...]], None] | None = None,
) -> TranscriptionResult:
    # Decoding happens while the segments generator is consumed, so consume it once.
    pieces: list[tuple[str, float, float, float]] = []
    kept: list[Segment] = []
    for segment in segments:
        kept.append(segment)
        pieces += [(word.word, word.start, word.end, word.probability) for word in segment.words or ()]
        if on_words is not None:
            on_words(decoder_words(pieces))
    segments = kept
    words = decoder_words(pieces)
    return TranscriptionResult(
        text="".join(segment.text for segment in segments).strip(),
        words=words,
        confidence=fmean(word.confidence for word in words) if words else 0.0,
        audio_duration_s=round(info.duration, 3),
        language_code=_assemblyai_language_code(info.language),
        model_name=model_name,
        language_confidence=round(float(info.language_probability), 4),
    )


def _assemblyai_language_code(whisper_language: str) -> str:
    return "en_us" if whisper_language == "en" else whisper_language


def resolve_device(device: str) -> str:
    """cpu or cuda: "auto" is CUDA when a GPU is visible."""
    if device != "auto":
        return device
    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def _resolve_compute_type(compute_type: str, device: str) -> str:
    if compute_type != "default":
        return compute_type
    # CTranslate2's own "default" keeps the weights' stored type (float16 for the bundled
    # model), which it runs as float32 on CPU: slower than int8, the type Hark's CPU accuracy
    # figures are measured with.
    return "float16" if device == "cuda" else "int8"
