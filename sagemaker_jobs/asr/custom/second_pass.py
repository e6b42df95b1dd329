"""The second pass of custom-model decoding: each window of the engine's own decode decoded
again with a prompt of its own (the customer's sentences most like what was heard there, and the
phrases spotted in it), then checked against the first pass (`_loops`, `_skips_speech`,
`_strays_from_first`) before it replaces it. See `apply` for the whole flow and how these were
chosen."""

import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import cached_property

import numpy as np
from faster_whisper.transcribe import get_compression_ratio

from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.custom.bias import BOOST_LEVELS, BoostLevel
from sagemaker_jobs.asr.custom.context import ContextIndex
from sagemaker_jobs.asr.custom.corpus import words as split_words
from sagemaker_jobs.asr.custom.edits import SENTENCE_END, TranscriptEdits, bare
from sagemaker_jobs.asr.custom.mining import rarity
from sagemaker_jobs.asr.custom.request import RequestOptions, dedupe
from sagemaker_jobs.asr.custom.spotting import PhraseSpotter, doubtful_words
from sagemaker_jobs.asr.custom.verify import confirm
from sagemaker_jobs.asr.engine import SAMPLE_RATE, DecodeOptions, Engine
from sagemaker_jobs.asr.result import TranscriptionResult, Word, mean_confidence


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
    temperatures: tuple[float, ...] | None = None
    """The request's temperature ladder (`RequestOptions.temperatures`), which the second decodes
    follow as the first does; None: faster-whisper's own."""

    @classmethod
    def of(cls, artifact: Artifact | None, request: RequestOptions) -> "Guide":
        requested = [*request.keyterms_prompt, *request.word_boost]
        ranked = tuple(dedupe([*requested, *(artifact.phrases if artifact else ())]))
        # A model's own spotter is built once per loaded model; request phrases need their own.
        spotter = artifact.spotter if artifact and not requested else PhraseSpotter(ranked)
        context = artifact.context if artifact else ContextIndex(())
        return cls(
            context, spotter, ranked, BOOST_LEVELS[request.boost_param], request.prompt, request.temperatures
        )

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
MIN_DOUBTFUL = 2
"""A window where no phrase was spotted and the first pass heard fewer doubtful words than this
(`spotting.doubtful_words`: low confidence, or not a common word) keeps the first pass: the
customer's sentences as context have little to correct there and may only restyle it. Chosen on
the tuning sets (lab, one run, each window's both decodes kept): Twitter clips re-decoded 32 of
43 windows instead of 43 at WER 8.19 % instead of 8.27 %, Twitter recordings 19 of 20 at 4.98 %,
the devops customer's text model 50 of 55 at 22.56 % instead of 22.69 %. Reported on the others
(same run): brands' text model 48 of 55 windows at 26.18 % instead of 26.05 %, insurance's 47 of 55
at 29.72 % instead of 29.45 %, Amazon and LibriSpeech unchanged with one window fewer, ATC and
long pharmacy recordings unchanged (every window there has doubtful words)."""
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
    """Each window of the first decode decoded again with its own prompt (`SecondPass`), once
    the first decode is complete."""
    with SecondPass(engine, samples, guide, beam_size, batched=batched) as passes:
        return passes.finish(first)


class SecondPass:
    """Each window of the first decode decoded again with its own prompt: the customer's
    sentences most like what the first pass heard there, and the phrases spotted in it.

    Windows are cut at the longest pauses of the first pass, so no word is split, and each is
    decoded on its own: a long recording gets the same treatment as a clip, and a window's
    prompt is never pushed out by the transcript before it. Where a second decode stops early
    (a prompted Whisper sometimes does), the first pass's words after it are kept.

    Windows are independent of each other, so on an engine with several decoders (one per core
    on a CPU, `layout.one_decode_per_core`) they are decoded side by side, and each starts as
    soon as the first pass has heard past its end (`heard`, fed by `Engine.transcribe`'s
    `on_words`): the same words as one window at a time after the whole first pass, sooner
    when the engine is otherwise idle. With one decoder everything waits for `finish`.

        with SecondPass(engine, samples, guide) as passes:
            first = engine.transcribe(samples, options, on_words=passes.heard)
            result = passes.finish(first)
    """

    def __init__(
        self,
        engine: Engine,
        samples: np.ndarray,
        guide: Guide,
        beam_size: int | None = None,
        *,
        batched: bool = False,
    ) -> None:
        self._engine = engine
        self._samples = samples
        self._guide = guide
        self._beam_size = beam_size
        self._batched = batched
        self._duration_ms = len(samples) * 1000 // SAMPLE_RATE
        self._guessed = guide.ranked if len(guide.ranked) <= GUESSED_LIST_MAX else ()
        early = engine.decoders > 1 and not batched
        self._threads = ThreadPoolExecutor(engine.decoders, thread_name_prefix="second-pass") if early else None
        self._early: dict[tuple[int, int], Planned] = {}  # windows (first, last word) planned early
        self._started: dict[tuple[int, int], Future[tuple[list[Word], list[str]]]] = {}

    def __enter__(self) -> "SecondPass":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._threads:
            self._threads.shutdown(cancel_futures=True)

    def heard(self, words: Sequence[Word]) -> None:
        """The first pass's words so far: windows that no later word can change start decoding.
        The last word may still change (a hyphenated word's next piece joins it), so it only
        bounds the windows before it."""
        if not self._threads:
            return
        known = words[:-1]
        for span in plan_windows(known, WINDOW_S, complete=False):
            if span in self._early:  # (planning a window spots phrases in it: not again)
                continue
            window = self._early[span] = self._plan(known, *span, complete=False)
            if window.options:
                self._started[span] = self._threads.submit(self._decode_and_settle, window)

    def finish(self, first: TranscriptionResult) -> TranscriptionResult:
        """The transcript: each window's second decode where it stands, the first pass's words
        elsewhere."""
        words = first.words
        if not words:
            return first
        spans = plan_windows(words, WINDOW_S)
        # A window planned early is this plan's too: it depends only on the words up to the one
        # after it (`plan_windows`), and those do not change as the first pass goes on.
        planned = [self._early.get(span) or self._plan(words, *span) for span in spans]
        redo = [(span, window) for span, window in zip(spans, planned) if window.options]
        if self._batched:
            # One batch for every window (each its own prompt, re-ranked as a decode of its own
            # is), each decoded once: where its decode stops early, the first pass's words stand
            # for the rest (`_uncovered_tail`). Off by default. Chosen on the tuning sets (lab,
            # paired, same first pass, 2026-12-06; one window at a time -> batched, against no
            # model, and the whole decode's time against no model's): devops recordings, model
            # from text -11.2 -> -18.6 %, 3.2 -> 2.2x; Twitter recordings -14.3 -> -12.9 %, 2.1 ->
            # 2.2x; devops recordings with 1,000 phrases -20.7 -> -19.8 %, 3.9 -> 2.4x. It did not
            # hold on the customers nobody tuned on: brands recordings, model from text, -19.0 ->
            # -11.2 % (spoken terms 0.73 -> 0.51), 3.3 -> 2.4x; insurance -36.2 -> -32.7 %, 3.8 ->
            # 2.1x; vet +4.0 -> -4.9 %, 3.7 -> 2.2x; pharmacy's 30 terms -28.4 -> -12.9 %, 3.6 ->
            # 4.3x; vet's 1,000 phrases -6.8 -> -0.9 %; ATC recordings -2.7 -> +4.2 %, 1.6 -> 1.8x.
            # The rest of a window decoded again after an early stop is where many of the
            # customer's names are found. (Batched and going on after early stops: -7.9, -12.9,
            # -23.6 % on the tuning sets at 2.9, 2.1, 3.6x.)
            pieces = [(self._cut(w.lo, w.hi), w.options) for _, w in redo]
            decodes = self._engine.transcribe_many(pieces, skip_tail_s=WINDOW_S, rerank=True, keep_encodings=True)
            settled = [self._settle(window, decoded) for (_, window), decoded in zip(redo, decodes)]
        else:
            if self._threads:
                for span, window in redo:
                    if span not in self._started:
                        self._started[span] = self._threads.submit(self._decode_and_settle, window)
            settled = [
                self._started[span].result() if span in self._started else self._decode_and_settle(window)
                for span, window in redo
            ]
        by_window = iter(settled)
        out: list[Word] = []
        texts: list[str] = []  # the decoder's own text where it has one ("entity-wide", not "entity -wide")
        for window in planned:
            heard = window.heard
            window_words, window_texts = next(by_window) if window.options else (list(heard), [w.text for w in heard])
            out += window_words
            texts += window_texts
        return replace(
            first,
            text=" ".join(t for t in texts if t),
            words=tuple(out),
            confidence=mean_confidence(out),
        )

    def _plan(self, words: Sequence[Word], start: int, end: int, *, complete: bool = True) -> "Planned":
        guide = self._guide
        heard = words[start : end + 1]
        lo = 0 if start == 0 else (words[start - 1].end + heard[0].start) // 2
        last = complete and end == len(words) - 1
        hi = self._duration_ms if last else (heard[-1].end + words[end + 1].start) // 2
        text = " ".join(w.text for w in heard)
        prompt = guide.context.prompt(text, CONTEXT_WORDS) if guide.context else ""
        prompt = " ".join(p for p in (guide.prompt, prompt) if p)
        phrases = guide.hotwords(heard)
        options = None
        if phrases or (prompt and sum(doubtful_words(heard)) >= MIN_DOUBTFUL):
            options = DecodeOptions(
                initial_prompt=prompt or None,
                hotwords=", ".join(phrases) or None,
                beam_size=self._beam_size,
                temperature=guide.temperatures,
            )
        return Planned(tuple(heard), lo, hi, phrases, options)

    def _cut(self, lo: int, hi: int) -> np.ndarray:
        # The last window runs to the last sample, so a clip's one window is the very audio the
        # first pass decoded, and its encoding is reused (`Engine`'s encoder cache).
        samples = self._samples
        return samples[lo * SAMPLE_RATE // 1000 : len(samples) if hi == self._duration_ms else hi * SAMPLE_RATE // 1000]

    def _decode_and_settle(self, window: "Planned") -> tuple[list[Word], list[str]]:
        piece = self._cut(window.lo, window.hi)
        skip_tail_s = 1.0 if len(piece) > 3 * SAMPLE_RATE else 0.0
        return self._settle(window, self._engine.transcribe(piece, window.options, skip_tail_s=skip_tail_s))

    def _settle(self, window: "Planned", decoded: TranscriptionResult) -> tuple[list[Word], list[str]]:
        """The window's words and texts: its second decode, edited and checked, or the first pass's."""
        engine, guide, heard, lo, phrases = self._engine, self._guide, window.heard, window.lo, window.phrases
        edits = TranscriptEdits(decoded)
        edits.trim_trailing_hallucinations()  # a prompted window's invented "Thank you."
        edits.respell(phrases, guide.level)
        edited = edits.result()
        piece = self._cut(lo, window.hi)
        if (phrases or self._guessed) and edited.words:
            # Tried too: the phrases spotted again in the second decode, which often writes a
            # name nearer its spelling than the first pass did, so that in a long list the right
            # phrase only then ranks among the window's best. Chosen on the devops customer
            # with 1,000 phrases (lab, one run: spoken terms 16 -> 17 of 34, WER 27.34 -> 27.10 %;
            # 30 terms unchanged); reported on pharmacy's 1,000: 15 -> 24 of 50, 32.39 -> 30.58 %.
            tried = dedupe([*phrases, *guide.spotter.spot(edited.words, limit=SPOTTED_PER_WINDOW)])
            edited = confirm(
                engine,
                piece,
                edited,
                tried,
                known=guide.spotter.phrases,
                doubtful_prior_nats=guide.level.doubtful_prior_nats,
                joint_pairs=guide.level.joint_pairs,
                guessed=self._guessed,
            )
        # A decode that wrote the customer's rare words stands as a whole (less whatever else
        # it reworded, `_put_back_unrelated`); one that did not is judged against the first pass.
        adds_vocabulary = _adds_vocabulary(heard, edited, guide.vocabulary)
        if (
            _loops(edited.text)
            or _skips_speech(heard, edited.words)
            or (not adds_vocabulary and _strays_from_first(engine, piece, heard, edited, phrases, guide))
        ):
            return list(heard), [w.text for w in heard]
        redone = [replace(w, start=w.start + lo, end=w.end + lo) for w in edited.words]
        texts = [edited.text]
        if adds_vocabulary:
            kept = _put_back_unrelated(engine, piece, heard, redone, _scoring_prompt(phrases, guide), guide)
            if kept != redone:
                redone, texts = kept, [w.text for w in kept]
        rest = _uncovered_tail(heard, redone, decoded_once=self._batched)
        if rest:
            # A decode that stopped early often times its last words at the end of its window,
            # past the first pass's words that follow them: held to where those begin, so the
            # words stay in time order.
            bound = rest[0].start
            redone = [replace(w, start=min(w.start, bound), end=min(w.end, bound)) for w in redone]
        return redone + rest, [*texts, *(w.text for w in rest)]


@dataclass(frozen=True)
class Planned:
    """A second-pass window: its first-pass words, its bounds (ms), its phrases, and its
    decode's options (None: the first pass stands there)."""

    heard: tuple[Word, ...]
    lo: int
    hi: int
    phrases: list[str]
    options: DecodeOptions | None


GUESSED_LIST_MAX = 100
"""A model's (or request's) list of up to this many phrases goes whole to `verify.confirm` in
every window decoded again, each phrase tried where the decode doubted what it heard, not only
the phrases spotted there: with the customer's sentences as context a window's hotwords are only
the spotted phrases, and the spotter misses names heard as other words ("a CD" for etcd).
A list this short keeps the full prior (`verify.LIST_PRIOR_PHRASES`). Chosen on the tuning sets
(lab, paired, 2026-12-06): devops text model -28.6 -> -30.7 % against no model, spoken terms
0.62 -> 0.68, no item worse; Twitter clips unchanged. The whole list as hotwords instead (as a
phrase-list model gets it) found more (devops -34.9 %, 0.80) but rewrote Twitter's decodes
(-18.0 -> -4.1 %); only its rarest phrases, -9.8 %."""

RARE_WORD = 1.5
"""`mining.rarity` from which a phrase's word counts as the customer's vocabulary."""
STRAY_NATS = 3.0
"""How much less likely than the first pass (natural log, whole window) a second decode with the
customer's sentences as context may be, when it wrote none of the rare words of the model's
phrases. Scored under a prompt of the window's phrases. Whisper follows its prompt's style, and
with a model of few sentences it rewrites words it had right into them (Amazon call, model of 9
sentences: WER 1.68 % -> 2.94 %). Chosen on the Twitter call (clips 8.73 % -> 7.73 %, recordings
5.82 % -> 5.21 %); 10 nats changed nothing there. A decode that did write the customer's words is
kept: a confirmed name costs more than this unprompted (Karpenter: 19 nats)."""
UNSURE_FIRST = 0.6
"""The mean word probability of a window's first pass under which the stray guard does not apply
(`_first_is_sure`): the decoder doubted most of those words itself, so their likelihood is no
standard to hold the context's reading to. The guard compares the two readings' likelihoods
under the model without the customer's sentences; the first pass is that model's own choice, so
on audio it hears badly (noisy radio) it wins the comparison while being mostly wrong. Chosen on
the tuning sets (lab, paired, 2026-12-08; against no model): ATC dev regions -11.3 -> -18.6 %
(hotwords alone -16.9 %), 19 clips better and 8 worse; the devops text model (-35.5 %), Twitter
clips (-13.3 %) and recordings (-15.7 %) unchanged, their first passes being sure of their words
where the guard decides (mean 0.68-0.96 there, 0.22-0.64 on the radio). At 0.7 a devops clip lost
its guard and got worse. Only for a model with sentences: with phrases alone the guard is what
stops hotwords pulling an unsure window to their sounds, and without it the devops customer's
1,000 phrases (TUNE, same session) lost a clip (-21.1 -> -20.3 %), as did pharmacy's (REPORT).
bench/README, "A first pass unsure of its words", has the other sets."""
LIST_STRAY_NATS = 2.0
"""The same for a window decoded with phrases alone (a phrase-list model, or a request's key
terms), scored with no prompt at all: its hotwords pull sentences without any of them towards
their sounds ("the receipt emailed" -> "the recity mail"), and under a prompt of those very
phrases such a rewrite looks likely. A window with sentences as context keeps `STRAY_NATS`: its
decode may rightly write the customer's words that are in its sentences and not among the
phrases ("SEC", "Form 10-K" on the Amazon call), which the engine alone finds unlikely.

Chosen on the tuning sets (lab, 2026-12-05, clips of one window, both decodes of each kept and
scored, errors with the guard off / 1 / 2 / 3 / 5 nats): devops 30 terms 194 / 183 / 183 / 188 /
188, devops 1,000 phrases 211 / 203 / 204 / 209 / 210. Then measured on the whole sets (same
process, old and new code per item): devops 30 terms -22.1 % -> -29.1 % against no model, the WER
of its sentences without any term 22.6 % -> 17.1 % (16.1 % with no model), items worse 6 -> 3."""


SKIPPED_WORDS = 6
"""A run of this many first-pass words heard with confidence that a second decode left out is
speech it skipped (a prompted Whisper sometimes jumps from the customer's names to a later
sentence): the window keeps the first pass. The likelihood check cannot see this, since a
shorter text scores higher."""

SKIPPED_SPAN_WORDS = 12
"""So many first-pass words left out are skipped speech whatever their confidence: in one gap
the second decode left (nearly) empty, or as most of the words up to the last one both passes
share, where no run of shared words marks the gap's end (a prompted tiny.en kept a window's
first sentence and its last three words, which confirmation then rewrote as a customer's name:
65 words became 12). Chosen on the tuning customers' recordings (lab, same run, 2026-12-07):
devops recordings 28.36 -> 22.96 % (none 31.93 %), Twitter recordings 4.59 % and both clip
sets unchanged. Counting every word missing from the window instead took early stops for skips
(their rest is `_uncovered_tail`'s to keep) and failed four custom-model tests."""


def _keys(words: Sequence[Word]) -> list[str]:
    """The words as the passes are compared: without edge punctuation, case-folded."""
    return [bare(w.text).casefold() for w in words]


def _shared_up_to(matcher: SequenceMatcher[str]) -> int:
    """How many of the first pass's words run up to the last one the second decode shares (0: none)."""
    blocks = [m for m in matcher.get_matching_blocks() if m.size]
    return blocks[-1].a + blocks[-1].size if blocks else 0


def _skips_speech(heard: Sequence[Word], again: Sequence[Word]) -> bool:
    a, b = _keys(heard), _keys(again)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # Most of the first pass's words up to the last one the second decode has too are gone, even
    # where no run of shared words marks where the gap ends. (Words missing after that last one
    # are an early stop, or an invented tail left out: `_uncovered_tail`'s to judge.)
    covered = _shared_up_to(matcher)
    if covered - len(b) >= SKIPPED_SPAN_WORDS and len(b) * 2 < covered:
        return True
    lost_from, kept_from = 0, 0  # where the current gap between the passes began, in `a` and `b`
    # A lone common word ("and") found again does not mean the speech around it was decoded: only
    # runs of 2+ matching words end a gap. Only gaps with decoded speech after them count: a
    # missing end is `_uncovered_tail`'s to judge (a first pass's invented closing words are
    # often confident too).
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal" or i2 - i1 < 2:
            continue
        lost, kept = a[lost_from:i1], b[kept_from:j1]
        # A gap the second decode filled with other words is a correction ("metric sum if low"
        # -> "Zentrix Omniflow"); one it left (nearly) empty is speech it jumped over.
        if sum(map(len, kept)) * 3 < sum(map(len, lost)):
            if i1 - lost_from >= SKIPPED_SPAN_WORDS:
                return True
            run = 0
            for word in heard[lost_from:i1]:
                run = run + 1 if word.confidence >= 0.5 else 0
                if run >= SKIPPED_WORDS:
                    return True
        lost_from, kept_from = i2, j2
    return False


def _loops(text: str) -> bool:
    """True when a decode repeats itself as Whisper's own check defines it (its text compresses
    more than faster-whisper's `compression_ratio_threshold`): a beam stuck on one syllable
    ("Velero-mi-me-me-me..."), which may well hold one of the customer's words and so would pass
    `_strays_from_first`. faster-whisper falls back to sampling on such a decode and returns it
    only when every temperature failed, so this is rare; the first pass then stands. A loop in
    a few words of a long window ("The sky-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh-oh!" in 70 words)
    leaves the whole text's ratio under the threshold: a run of `LOOP_RUN_WORDS` words that is
    one to three words said over and over counts too."""
    return get_compression_ratio(text) > LOOP_COMPRESSION_RATIO or _repeats(text)


LOOP_COMPRESSION_RATIO = 2.4
"""faster-whisper's default `compression_ratio_threshold`."""
LOOP_RUN_WORDS = 8
"""People do say "no, no, no" or "thank you, thank you"; eight words of one to three words
repeated ("oh-oh-oh-oh-oh-oh-oh-oh", "thank you" four times) is the decoder stuck, not speech."""


def _repeats(text: str) -> bool:
    tokens = [t for t in re.split(r"[^\w']+", text.lower()) if t]
    for size in (1, 2, 3):
        run = size  # tokens in the current run of repeats of the same `size` tokens
        for i in range(size, len(tokens)):
            run = run + 1 if tokens[i] == tokens[i - size] else size
            if run >= max(LOOP_RUN_WORDS, 3 * size):
                return True
    return False


def _adds_vocabulary(heard: Sequence[Word], edited: TranscriptionResult, vocabulary: frozenset[str]) -> bool:
    """True when the second decode wrote one of the customer's rare words that the first pass
    had not: what a custom model is for, and worth more than its cost in likelihood."""
    before = set(_keys(heard))
    return any(word in vocabulary and word not in before for word in _keys(edited.words))


def _first_is_sure(heard: Sequence[Word]) -> bool:
    """Whether the first pass's words in a window are sure enough to hold a second decode to
    (`UNSURE_FIRST`)."""
    return mean_confidence(heard) >= UNSURE_FIRST


def _strays_from_first(
    engine: Engine,
    piece: np.ndarray,
    heard: Sequence[Word],
    edited: TranscriptionResult,
    phrases: Sequence[str],
    guide: Guide,
) -> bool:
    """A second decode that wrote none of the customer's rare words, judged against the first
    pass: under the window's phrases with sentences as context (`STRAY_NATS`), and there only
    where the first pass was sure of its words (`UNSURE_FIRST`); by the engine alone for phrases
    only (`LIST_STRAY_NATS`)."""
    if guide.context and not _first_is_sure(heard):
        return False
    nats = STRAY_NATS if guide.context else LIST_STRAY_NATS
    return _strays(engine, piece, heard, edited, _scoring_prompt(phrases, guide), nats)


def _scoring_prompt(phrases: Sequence[str], guide: Guide) -> str | None:
    """What a window's two readings are scored under: its phrases where the model has sentences
    as context, nothing for phrases alone (`LIST_STRAY_NATS` says why)."""
    return (", ".join(phrases) or None) if guide.context else None


def _strays(
    engine: Engine,
    piece: np.ndarray,
    heard: Sequence[Word],
    edited: TranscriptionResult,
    prompt: str | None,
    nats: float,
) -> bool:
    """True when the window's second decode is more than `nats` less likely for its audio than
    the first pass's words were, both scored under `prompt`."""
    if not edited.words or len(piece) > 30 * SAMPLE_RATE or _keys(edited.words) == _keys(heard):
        return False  # (the same words again cannot stray: no need to score them)
    first, second = engine.log_likelihoods(piece, [" ".join(w.text for w in heard), edited.text], prompt)
    return second < first - nats


@dataclass(frozen=True)
class Stretch:
    """A stretch of a window in both passes' words; `revertible`: the passes differ there and
    the second wrote none of the customer's rare words in it."""

    first: tuple[Word, ...]
    second: tuple[Word, ...]
    revertible: bool


def _stretches(heard: Sequence[Word], again: Sequence[Word], vocabulary: frozenset[str]) -> list[Stretch]:
    """The window cut into stretches where the passes agree and where they differ. Differences
    are taken between runs of 2+ shared words, as in `_skips_speech`, so that a lone shared
    "the" does not cut a corrected phrase in two."""
    a, b = _keys(heard), _keys(again)
    out: list[Stretch] = []
    lost_from, kept_from = 0, 0
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in [*opcodes, ("equal", len(a), len(a), len(b), len(b))]:
        if tag != "equal" or (i2 - i1 < 2 and i2 < len(a)):
            continue
        at_end = i1 == len(a)
        if lost_from < i1 or kept_from < j1:
            # (A decode that left out the window's last words: `_uncovered_tail`'s to judge.)
            revertible = not any(w in vocabulary for w in b[kept_from:j1]) and not (at_end and j1 == kept_from)
            out.append(Stretch(tuple(heard[lost_from:i1]), tuple(again[kept_from:j1]), revertible))
        if i1 < i2:
            out.append(Stretch(tuple(heard[i1:i2]), tuple(again[j1:j2]), False))
        lost_from, kept_from = i2, j2
    return out


def _compose(parts: Sequence[Stretch], reverted: set[int]) -> list[Word]:
    """The words of each stretch, the first pass's where `reverted`. The two passes time the same
    word a little differently, so where their words meet, a word is held to start no earlier
    than the one before it: the words stay in time order."""
    out: list[Word] = []
    for k, part in enumerate(parts):
        for word in part.first if k in reverted else part.second:
            if out and word.start < out[-1].start:
                word = replace(word, start=out[-1].start, end=max(word.end, out[-1].start))
            out.append(word)
    return out


def _put_back_unrelated(
    engine: Engine, piece: np.ndarray, heard: Sequence[Word], again: list[Word], prompt: str | None, guide: Guide
) -> list[Word]:
    """`again`, a second decode that wrote the customer's words, with the first pass's words
    back wherever it changed others, if the audio prefers them so. Such a decode is not judged as a
    whole (`_strays_from_first`): a name got right is worth more than its cost in likelihood.
    But the customer's sentences as context also reword the rest of the window, and not always
    for the better ("He hoped there would be Stu for dinner, turnipson kerats" beside "Zentrix
    Omniflow" done right). Its changes that hold none of the customer's rare words are put back
    together, when that scores higher under the window's phrases (as `_strays` scores).

    Chosen on the TUNE sets (lab, paired, 2026-12-07): devops text model -34.7 -> -35.5 % against
    no model, 2 clips better, none worse; devops 1,000 phrases -17.9 -> -21.1 %, 2 better, none
    worse. Each change judged on its own instead (one text scored per change): -35.1 %, 2
    better, 1 worse, and -21.1 %. Putting every such change back unscored: -33.9 %, 2
    better, 3 worse (it undoes fixes the context made: "bother you" back to "mama you"). ATC
    clips could not tell (temperature fallback samples differently each run: items moved both
    ways by whole sentences under either code). Reported in bench/README."""
    parts = _stretches(heard, again, guide.vocabulary)
    revertible = {k for k, part in enumerate(parts) if part.revertible}
    if not revertible or len(piece) > 30 * SAMPLE_RATE:
        return again
    put_back = _compose(parts, revertible)
    as_decoded, as_first = engine.log_likelihoods(
        piece, [" ".join(w.text for w in again), " ".join(w.text for w in put_back)], prompt
    )
    return put_back if as_first > as_decoded else again


def _uncovered_tail(first: Sequence[Word], again: Sequence[Word], *, decoded_once: bool = False) -> list[Word]:
    """The first pass's words after the point where the second decode stopped, when it stopped
    early (a prompted Whisper sometimes ends its window after a few words, and its last word's
    timestamp then runs to the end of the window, so time alone cannot tell). `decoded_once`:
    the second decode was not allowed to go on after an early stop, so whatever it left out
    after its last matching word is kept, finished sentence or not."""
    if not again:
        return list(first)
    a, b = _keys(first), _keys(again)
    last = _shared_up_to(SequenceMatcher(None, a, b, autojunk=False))
    if len(a) - last <= max(2, 0.15 * len(a)):
        return []
    rest = list(first[last:])
    if decoded_once:
        return rest
    # Only a stop: the second decode ends mid-sentence, or its last word runs on over the rest.
    # A first pass's invented tail ("and that is why we are talking about...") that the prompted
    # decode rightly left out, after a finished sentence, stays out.
    final = again[-1]
    stopped = (
        not final.text.endswith(SENTENCE_END)  # cut off mid-sentence
        or final.end - final.start > STRETCHED_WORD_MS
    )
    return rest if stopped else []


def plan_windows(words: Sequence[Word], max_s: float, *, complete: bool = True) -> list[tuple[int, int]]:
    """(first, last) word indices of consecutive windows of at most `max_s` seconds, each cut
    at the longest pause in its last 40 %. `complete=False`: `words` are the first of more to
    come, and only the windows that no later word can change are given (those followed by a
    word that ends past `max_s`)."""
    windows = []
    start = 0
    while start < len(words):
        end = start
        while end + 1 < len(words) and words[end + 1].end - words[start].start <= max_s * 1000:
            end += 1
        if end + 1 == len(words) and not complete:
            break
        if end + 1 < len(words) and end > start:
            earliest = start + max(0, int((end - start) * 0.6))
            end = max(range(earliest, end + 1), key=lambda i: (words[i + 1].start - words[i].end, i))
        windows.append((start, end))
        start = end + 1
    return windows
