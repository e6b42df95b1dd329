"""Applying a custom model (or none) and per-request hints around `Engine.transcribe`.

    request = RequestOptions.from_mapping(body)   # word_boost, boost_param, keyterms_prompt, custom_spelling
    result = transcribe(engine, samples, artifact, request)

With a model or request phrases, decoding takes two passes:

    first = engine.transcribe(samples)            # the engine's own decode, unbiased
    result = second_pass(engine, samples, first, Guide.of(artifact, request))
    result = correct(result, artifact, request, respell=False)   # custom_spelling

`second_pass` cuts the first decode into windows of at most 28 s at its longest pauses and
decodes each window again with a prompt of its own: the customer's sentences most like what
the first pass heard there (`context`), and as hotwords the phrases spotted in it (`spotting`),
topped up with the model's best phrases while they fit. So a list of 1,000 phrases costs no
more than one of 30, each window of a long recording is treated like a clip, and the prompt is
never pushed out by the transcript. Each window is then cleaned (an invented trailing "Thank
you." dropped), respelled with its own phrases, and its phrases that the decode still missed
are tried in place of the words most like them, kept where the decoder itself scores the
changed text nearly as likely (`verify.confirm`). A window decoded with the customer's sentences
as context must also stay about as likely for its audio as the first pass was, or the first
pass's words stand (`STRAY_NATS`): a prompt of few sentences otherwise pulls correct words into
its own style.

Chosen on the tuning sets of bench/custom_model.py (the Twitter call, three radio regions, the
synthetic devops customer) against hotwords alone and against the model's phrases as a prompt;
reported there on the others. Live partials (`two_pass=False`) decode once with the best
phrases as hotwords (`decode_options`, `recover_tail`), as before: a second pass would double
their latency. With no model and no per-request hint, decoding is the engine's own.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.custom.bias import BOOST_LEVELS, BOOST_PARAMS, BoostLevel, format_prompt
from sagemaker_jobs.asr.custom.context import ContextIndex
from sagemaker_jobs.asr.custom.corpus import CorpusError, parse_phrases
from sagemaker_jobs.asr.custom.edits import SENTENCE_END, TranscriptEdits, bare
from sagemaker_jobs.asr.custom.corpus import words as split_words
from sagemaker_jobs.asr.custom.mining import rarity
from sagemaker_jobs.asr.custom.spotting import PhraseSpotter
from sagemaker_jobs.asr.custom.verify import confirm
from sagemaker_jobs.asr.engine import DecodeOptions, Engine
from sagemaker_jobs.asr.errors import InvalidOptionsError
from sagemaker_jobs.asr.result import TranscriptionResult, Word


@dataclass(frozen=True)
class SpellingRule:
    sources: tuple[str, ...]
    target: str


@dataclass(frozen=True)
class RequestOptions:
    word_boost: tuple[str, ...] = ()
    boost_param: str = "default"
    keyterms_prompt: tuple[str, ...] = ()
    custom_spelling: tuple[SpellingRule, ...] = ()
    prompt: str | None = None
    """The request's own context for the decoder (AssemblyAI's `prompt`)."""
    temperature: float | None = None
    """AssemblyAI's `temperature` (0-1): the first temperature Whisper decodes at; its fallback
    goes on from there in faster-whisper's steps of 0.2 when a decode fails its checks."""

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> "RequestOptions":
        """Reads the AssemblyAI-style fields; raises `InvalidOptionsError` on a malformed one."""
        options = options or {}
        boost_param = options.get("boost_param") or "default"
        if boost_param not in BOOST_PARAMS:
            raise InvalidOptionsError(f"boost_param must be one of {', '.join(BOOST_PARAMS)}, not {boost_param!r}")
        return cls(
            word_boost=_phrase_list(options.get("word_boost"), "word_boost"),
            boost_param=boost_param,
            keyterms_prompt=_phrase_list(options.get("keyterms_prompt"), "keyterms_prompt"),
            custom_spelling=_spelling_rules(options.get("custom_spelling")),
            prompt=_prompt(options.get("prompt")),
            temperature=_temperature(options.get("temperature")),
        )

    @property
    def temperatures(self) -> tuple[float, ...] | None:
        if self.temperature is None:
            return None
        ladder = [self.temperature]
        while ladder[-1] + 0.2 <= 1.0 + 1e-9:
            ladder.append(round(ladder[-1] + 0.2, 2))
        return tuple(ladder)

    @property
    def biasing(self) -> bool:
        return bool(self.word_boost or self.keyterms_prompt)


def decode_options(artifact: Artifact | None, request: RequestOptions = RequestOptions()) -> DecodeOptions:
    """The engine options for one request: the request's phrases, then the model's, as hotwords."""
    phrases = bias_phrases(artifact, request)
    if not phrases:
        return DecodeOptions()
    return DecodeOptions(hotwords=format_prompt(phrases, BOOST_LEVELS[request.boost_param].max_chars))


def bias_phrases(artifact: Artifact | None, request: RequestOptions = RequestOptions()) -> list[str]:
    level = BOOST_LEVELS[request.boost_param]
    model_phrases = list(artifact.phrases[: level.model_phrases]) if artifact else []
    return _dedupe([*request.keyterms_prompt, *request.word_boost, *model_phrases])


TAIL_GAP_MS = 2000
"""The tail rule of biased decoding. Whisper has seen the whole 30-second window when it ends a
segment; faster-whisper then decodes what follows the last word as a window of its own. With a
prompt that happens for almost every short recording, costs a second full decode, and yields
invented words ("Thank you."): so a biased decode stops once a segment ends within this of the
end of the audio. Conversely, a biased decode that stops further than this before the end has
skipped speech (prompted Whisper sometimes ends a window early), and the rest is decoded again."""
SAMPLE_RATE = 16000


def transcribe(
    engine: Engine,
    samples: np.ndarray,
    artifact: Artifact | None,
    request: RequestOptions = RequestOptions(),
    beam_size: int | None = None,
    *,
    two_pass: bool = True,
    batched: bool = False,
) -> TranscriptionResult:
    """The whole custom-model path around `engine.transcribe`; the engine's own result when
    there is no model and no per-request option. ``beam_size`` overrides the engine's beam.

    With a model or phrases, decoding takes two passes (see `second_pass`): the engine's own
    decode, then each window again with the customer's context and the phrases spotted in it.
    ``two_pass=False`` decodes once with the best phrases as hotwords (live partials, where a
    second pass costs too much latency)."""
    if not (artifact or request.biasing):
        plain = DecodeOptions(initial_prompt=request.prompt, beam_size=beam_size, temperature=request.temperatures)
        return correct(engine.transcribe(samples, plain), artifact, request)
    if two_pass:
        first = engine.transcribe(
            samples, DecodeOptions(initial_prompt=request.prompt, beam_size=beam_size, temperature=request.temperatures)
        )
        result = second_pass(engine, samples, first, Guide.of(artifact, request), beam_size, batched=batched)
        return correct(result, artifact, request, DecodeOptions(), respell=False)
    options = replace(decode_options(artifact, request), initial_prompt=request.prompt, beam_size=beam_size)
    result = engine.transcribe(samples, options, skip_tail_s=TAIL_GAP_MS / 1000)
    result = recover_tail(engine, samples, result, options)
    return correct(result, artifact, request, options)


@dataclass(frozen=True)
class Guide:
    """What the second pass draws on: the model's sentences and the model's and request's phrases."""

    context: ContextIndex
    spotter: PhraseSpotter
    ranked: tuple[str, ...]
    """Phrases in the order they fill a window's remaining hotword budget: the request's, then the model's."""
    level: BoostLevel
    prompt: str | None = None
    """The request's own prompt: each window's context follows it (the model's sentences, being
    chosen for that window, stay nearest the audio and are the last to be cut for length)."""

    @classmethod
    def of(cls, artifact: Artifact | None, request: RequestOptions) -> "Guide":
        requested = [*request.keyterms_prompt, *request.word_boost]
        ranked = tuple(_dedupe([*requested, *(artifact.phrases if artifact else ())]))
        # A model's own spotter is built once per loaded model; request phrases need their own.
        spotter = artifact.spotter if artifact and not requested else PhraseSpotter(ranked)
        context = artifact.context if artifact else ContextIndex(())
        return cls(context, spotter, ranked, BOOST_LEVELS[request.boost_param], request.prompt)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The rare words of the phrases (case-folded): what the model exists to get right."""
        return frozenset(w.casefold() for p in self.ranked for w in split_words(p) if rarity(w) >= RARE_WORD)

    def hotwords(self, words: Sequence[Word]) -> list[str]:
        """The phrases spotted in `words`. Without sentences to draw context from (a phrase-list
        model, or request phrases alone), topped up with the best others while they fit the
        budget: a short list always goes whole, a long one only where it was plausibly said.
        With sentences, the context carries the vocabulary, and more phrases only crowd it."""
        phrases = self.spotter.spot(words, limit=SPOTTED_PER_WINDOW)
        if self.context:
            return phrases
        length = sum(len(p) + 2 for p in phrases)
        taken = {p.casefold() for p in phrases}
        for phrase in self.ranked:
            if length + len(phrase) + 2 > self.level.max_chars:
                if length > self.level.max_chars // 2:
                    break
                continue
            if phrase.casefold() not in taken:
                phrases.append(phrase)
                taken.add(phrase.casefold())
                length += len(phrase) + 2
        return phrases


SPOTTED_PER_WINDOW = 12
STRETCHED_WORD_MS = 1500
WINDOW_S = 28.0
"""A second-pass window: under Whisper's 30 s, so each is one decoder window with room to spare."""
CONTEXT_WORDS = 120
"""Words of customer sentences before each window (about 160 tokens, under half the context)."""


def second_pass(
    engine: Engine,
    samples: np.ndarray,
    first: TranscriptionResult,
    guide: Guide,
    beam_size: int | None = None,
    *,
    batched: bool = False,
) -> TranscriptionResult:
    """Each window of the first decode decoded again with its own prompt: the customer's
    sentences most like what the first pass heard there, and the phrases spotted in it.

    Windows are cut at the longest pauses of the first pass, so no word is split, and each is
    decoded on its own: a long recording gets the same treatment as a clip, and a window's
    prompt is never pushed out by the transcript before it. Where a second decode stops early
    (a prompted Whisper sometimes does), the first pass's words after it are kept."""
    words = first.words
    if not words:
        return first
    duration_ms = len(samples) * 1000 // SAMPLE_RATE
    planned = []  # (first-pass words, start ms, phrases, decode options or None to keep them)
    for start, end in plan_windows(words, WINDOW_S):
        heard = words[start : end + 1]
        lo = 0 if start == 0 else (words[start - 1].end_ms + heard[0].start_ms) // 2
        hi = duration_ms if end == len(words) - 1 else (heard[-1].end_ms + words[end + 1].start_ms) // 2
        text = " ".join(w.text for w in heard)
        prompt = guide.context.prompt(text, CONTEXT_WORDS) if guide.context else ""
        prompt = " ".join(p for p in (guide.prompt, prompt) if p)
        phrases = guide.hotwords(heard)
        options = None
        if prompt or phrases:
            options = DecodeOptions(
                initial_prompt=prompt or None, hotwords=", ".join(phrases) or None, beam_size=beam_size
            )
        planned.append((heard, lo, hi, phrases, options))
    redo = [
        (samples[lo * SAMPLE_RATE // 1000 : hi * SAMPLE_RATE // 1000], options)
        for _, lo, hi, _, options in planned
        if options
    ]
    if batched:
        # One batch for every window (each its own prompt). Off by default, measured (lab, same
        # run): Twitter call joined into recordings, model from its text, 49.2 s -> 37.1 s but
        # WER 5.36 % -> 5.51 %; a 1,000-phrase list on synthetic pharmacy recordings 53.4 s ->
        # 25.8 s but WER 33.7 % -> 41.0 % (a batch has no re-ranking of the hotword-prompted
        # beam, see `rerank`).
        decoded = iter(engine.transcribe_many(redo, skip_tail_s=1.0))
    else:
        decoded = iter(
            engine.transcribe(piece, options, skip_tail_s=1.0 if len(piece) > 3 * SAMPLE_RATE else 0.0)
            for piece, options in redo
        )
    out: list[Word] = []
    texts: list[str] = []  # the decoder's own text where it has one ("entity-wide", not "entity -wide")
    for heard, lo, hi, phrases, options in planned:
        if options is None:
            out += heard
            texts += [w.text for w in heard]
            continue
        edits = TranscriptEdits(next(decoded))
        edits.trim_trailing_hallucinations()  # a prompted window's invented "Thank you."
        edits.respell(phrases, guide.level)
        edited = edits.result()
        piece = samples[lo * SAMPLE_RATE // 1000 : hi * SAMPLE_RATE // 1000]
        if phrases and edited.words:
            edited = confirm(engine, piece, edited, phrases, known=guide.spotter.phrases)
        if _skips_speech(heard, edited.words) or (
            guide.context
            and not _adds_vocabulary(heard, edited, guide.vocabulary)
            and _strays(engine, piece, heard, edited, phrases)
        ):
            out += heard
            texts += [w.text for w in heard]
            continue
        redone = [replace(w, start_ms=w.start_ms + lo, end_ms=w.end_ms + lo) for w in edited.words]
        rest = _uncovered_tail(heard, redone)
        if rest and redone and redone[-1].end_ms > rest[0].start_ms:
            redone[-1] = replace(redone[-1], end_ms=max(redone[-1].start_ms, rest[0].start_ms))
        out += redone + rest
        texts += [edited.text, *(w.text for w in rest)]
    return replace(
        first,
        text=" ".join(t for t in texts if t),
        words=tuple(out),
        confidence=sum(w.confidence for w in out) / len(out) if out else 0.0,
    )


RARE_WORD = 1.5
"""`mining.rarity` from which a phrase's word counts as the customer's vocabulary."""
STRAY_NATS = 3.0
"""How much less likely than the first pass (natural log, whole window) a second decode with the
customer's sentences as context may be. Whisper follows its prompt's style, and with a model of
few sentences it rewrites words it had right into them (Amazon call, model of 9 sentences: WER
1.68 % -> 2.94 %). Chosen on the Twitter call (clips 8.73 % -> 7.73 %, recordings 5.82 % ->
5.21 %); 10 nats changed nothing there. Windows decoded with phrases alone are not judged: the
confirmed names there cost more than this (Karpenter: 19 nats unprompted) and the hotword beam
is already re-ranked by the unprompted model (`rerank`)."""


SKIPPED_WORDS = 6
"""A run of this many first-pass words heard with confidence that a second decode left out is
speech it skipped (a prompted Whisper sometimes jumps from the customer's names to a later
sentence): the window keeps the first pass. The likelihood check cannot see this, since a
shorter text scores higher."""


def _keys(words: Sequence[Word]) -> list[str]:
    """The words as the passes are compared: without edge punctuation, case-folded."""
    return [bare(w.text).casefold() for w in words]


def _skips_speech(heard: Sequence[Word], again: Sequence[Word]) -> bool:
    a, b = _keys(heard), _keys(again)
    lost_from, kept_from = 0, 0  # where the current gap between the passes began, in `a` and `b`
    # A lone common word ("and") found again does not mean the speech around it was decoded: only
    # runs of 2+ matching words end a gap. Only gaps with decoded speech after them count: a
    # missing end is `_uncovered_tail`'s to judge (a first pass's invented closing words are
    # often confident too).
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal" or i2 - i1 < 2:
            continue
        lost, kept = a[lost_from:i1], b[kept_from:j1]
        # A gap the second decode filled with other words is a correction ("metric sum if low"
        # -> "Zentrix Omniflow"); one it left (nearly) empty is speech it jumped over.
        if sum(map(len, kept)) * 3 < sum(map(len, lost)):
            run = 0
            for word in heard[lost_from:i1]:
                run = run + 1 if word.confidence >= 0.5 else 0
                if run >= SKIPPED_WORDS:
                    return True
        lost_from, kept_from = i2, j2
    return False


def _adds_vocabulary(heard: Sequence[Word], edited: TranscriptionResult, vocabulary: frozenset[str]) -> bool:
    """True when the second decode wrote one of the customer's rare words that the first pass
    had not: what a custom model is for, and worth more than its cost in likelihood."""
    before = set(_keys(heard))
    return any(word in vocabulary and word not in before for word in _keys(edited.words))


def _strays(
    engine: Engine, piece: np.ndarray, heard: Sequence[Word], edited: TranscriptionResult, phrases: Sequence[str]
) -> bool:
    """True when the window's second decode is much less likely for its audio than the first
    pass's words were, scored under the window's phrases alone (so a name the audio supports
    costs little, a rewrite into the customer's style a lot)."""
    if not edited.words or len(piece) > 30 * SAMPLE_RATE:
        return False
    prompt = ", ".join(phrases) or None
    first, second = engine.log_likelihoods(piece, [" ".join(w.text for w in heard), edited.text], prompt)
    return second < first - STRAY_NATS


def _uncovered_tail(first: Sequence[Word], again: Sequence[Word]) -> list[Word]:
    """The first pass's words after the point where the second decode stopped, when it stopped
    early (a prompted Whisper sometimes ends its window after a few words, and its last word's
    timestamp then runs to the end of the window, so time alone cannot tell)."""
    if not again:
        return list(first)
    a, b = _keys(first), _keys(again)
    blocks = [m for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]
    last = blocks[-1].a + blocks[-1].size if blocks else 0
    if len(a) - last <= max(2, 0.15 * len(a)):
        return []
    rest = list(first[last:])
    # Only a stop: the second decode ends mid-sentence, or its last word runs on over the rest.
    # A first pass's invented tail ("and that is why we are talking about...") that the prompted
    # decode rightly left out, after a finished sentence, stays out.
    final = again[-1]
    stopped = (
        not final.text.endswith(SENTENCE_END)  # cut off mid-sentence
        or final.end_ms - final.start_ms > STRETCHED_WORD_MS
    )
    return rest if stopped else []


def plan_windows(words: Sequence[Word], max_s: float) -> list[tuple[int, int]]:
    """(first, last) word indices of consecutive windows of at most `max_s` seconds, each cut
    at the longest pause in its last 40 %."""
    windows = []
    start = 0
    while start < len(words):
        end = start
        while end + 1 < len(words) and words[end + 1].end_ms - words[start].start_ms <= max_s * 1000:
            end += 1
        if end + 1 < len(words) and end > start:
            earliest = start + max(0, int((end - start) * 0.6))
            end = max(range(earliest, end + 1), key=lambda i: (words[i + 1].start_ms - words[i].end_ms, i))
        windows.append((start, end))
        start = end + 1
    return windows


def recover_tail(
    engine: Engine, samples: np.ndarray, result: TranscriptionResult, options: DecodeOptions
) -> TranscriptionResult:
    """Decodes the audio after the last word again, unbiased (as the engine alone would), when a
    biased decode stopped `TAIL_GAP_MS` to 30 s before the end. Biased again, a tail this short of
    context is prone to reading the phrase list back. (An early stop inside a long recording loses
    the rest of that window: a known limit.)"""
    if not options.biased:
        return result
    covered_ms = result.words[-1].end_ms if result.words else 0
    gap_ms = len(samples) * 1000 / SAMPLE_RATE - covered_ms
    # An early stop loses at most the rest of one 30-second window; a longer gap is silence
    # (or music) that the biased decode went through window by window and found empty.
    if not TAIL_GAP_MS <= gap_ms <= 30_000:
        return result
    tail = engine.transcribe(samples[covered_ms * SAMPLE_RATE // 1000 :], DecodeOptions(beam_size=options.beam_size))
    return _append(result, tail, covered_ms) if tail.words else result


def _append(result: TranscriptionResult, tail: TranscriptionResult, offset_ms: int) -> TranscriptionResult:
    words = result.words + tuple(
        replace(w, start_ms=w.start_ms + offset_ms, end_ms=w.end_ms + offset_ms) for w in tail.words
    )
    return replace(
        result,
        text=f"{result.text} {tail.text}".strip(),
        words=words,
        confidence=sum(w.confidence for w in words) / len(words),
    )


def correct(
    result: TranscriptionResult,
    artifact: Artifact | None,
    request: RequestOptions = RequestOptions(),
    options: DecodeOptions | None = None,
    *,
    respell: bool = True,
) -> TranscriptionResult:
    """Post-decode step; returns `result` unchanged when there is nothing to apply.
    ``respell=False`` when the second pass has respelled each window with its own phrases."""
    options = options if options is not None else decode_options(artifact, request)
    edits = TranscriptEdits(result)
    if options.biased:
        edits.trim_trailing_hallucinations()
    lexicon = _dedupe([*request.keyterms_prompt, *request.word_boost, *(artifact.lexicon if artifact else ())])
    if lexicon and respell:
        edits.respell(lexicon, BOOST_LEVELS[request.boost_param])
    for rule in request.custom_spelling:
        edits.spell(rule.sources, rule.target)
    return edits.result()


def _dedupe(phrases: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for phrase in phrases:
        key = phrase.casefold()
        if key not in seen:
            seen.add(key)
            out.append(phrase)
    return out


def _phrase_list(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidOptionsError(f"option {name!r} must be a list of strings")
    if not all(isinstance(v, str) for v in value):
        raise InvalidOptionsError(f"option {name!r} must be a list of strings")
    try:
        return tuple(parse_phrases(value, what=f"{name} entry"))
    except CorpusError as error:
        raise InvalidOptionsError(str(error)) from None


def _prompt(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidOptionsError("option 'prompt' must be a string")
    return value.strip() or None


def _temperature(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidOptionsError("option 'temperature' must be a number from 0 to 1")
    return float(value)


def _spelling_rules(value: Any) -> tuple[SpellingRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise InvalidOptionsError('option \'custom_spelling\' must be a list of {"from": [...], "to": "..."}')
    rules = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("to"), str):
            raise InvalidOptionsError(f"custom_spelling entry {index + 1} must have a string 'to' and a list 'from'")
        sources = item.get("from")
        if isinstance(sources, str) or not isinstance(sources, (list, tuple)) or not sources:
            raise InvalidOptionsError(f"custom_spelling entry {index + 1}: 'from' must be a non-empty list of strings")
        if not all(isinstance(s, str) and s.strip() for s in sources):
            raise InvalidOptionsError(f"custom_spelling entry {index + 1}: 'from' must hold non-empty strings")
        rules.append(SpellingRule(tuple(s.strip() for s in sources), item["to"].strip()))
    return tuple(rules)
