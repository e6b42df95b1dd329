"""Applying a custom model (or none) and per-request hints around `Engine.transcribe`: the flow.
(`request`: the hints; `second_pass`: the windows decoded again; `edits`: the edit buffer and
respelling.)

    request = RequestOptions.of(options)   # the job's word_boost, keyterms_prompt, custom_spelling, ...
    result = transcribe(engine, samples, artifact, request)

With a model or request phrases, decoding takes two passes:

    with SecondPass(engine, samples, Guide.of(artifact, request)) as passes:
        first = engine.transcribe(samples, on_words=passes.heard)   # the engine's own decode, unbiased
        result = passes.finish(first)   # its windows decoded again, each as soon as it was heard
    result = correct(result, artifact, request, respell=False)   # house spellings, custom_spelling

`second_pass` cuts the first decode into windows of at most 28 s at its longest pauses and
decodes each window again with a prompt of its own: the customer's sentences most like what
the first pass heard there (`context`), and as hotwords the phrases spotted in it (`spotting`),
topped up with the model's best phrases while they fit. So a list of 1,000 phrases costs no
more than one of 30, each window of a long recording is treated like a clip, and the prompt is
never pushed out by the transcript. Each window is then cleaned (an invented trailing "Thank
you." dropped), respelled with its own phrases, and its phrases that the decode still missed
are tried in place of the words most like them, kept where the decoder itself scores the
changed text nearly as likely (`verify.confirm`). A second decode that wrote none of the
customer's rare words must also stay about as likely for its audio as the first pass was (with
sentences as context, only where the first pass was sure of its words: `UNSURE_FIRST`), or the
first pass's words stand (`STRAY_NATS`, `LIST_STRAY_NATS`): a prompt of few sentences otherwise
pulls correct words into its own style, and hotwords pull sentences without any of them towards
their sounds.

Chosen on the tuning sets of bench/custom_model.py (the Twitter call, three radio regions, the
synthetic devops customer) against hotwords alone and against the model's phrases as a prompt;
reported there on the others. Live partials (`two_pass=False`) decode once with the best
phrases as hotwords (`decode_options`, `recover_tail`), as before: a second pass would double
their latency. With no model and no per-request hint, decoding is the engine's own.
"""


from dataclasses import replace

import numpy as np

from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.custom.bias import BOOST_LEVELS, format_prompt
from sagemaker_jobs.asr.custom.edits import TranscriptEdits
from sagemaker_jobs.asr.custom.request import RequestOptions, dedupe
from sagemaker_jobs.asr.custom.second_pass import Guide, SecondPass
from sagemaker_jobs.asr.engine import SAMPLE_RATE, DecodeOptions, Engine
from sagemaker_jobs.asr.result import TranscriptionResult, mean_confidence


def decode_options(artifact: Artifact | None, request: RequestOptions = RequestOptions()) -> DecodeOptions:
    """The engine options for one request: the request's phrases, then the model's, as hotwords."""
    phrases = bias_phrases(artifact, request)
    if not phrases:
        return DecodeOptions()
    return DecodeOptions(hotwords=format_prompt(phrases, BOOST_LEVELS[request.boost_param].max_chars))


def bias_phrases(artifact: Artifact | None, request: RequestOptions = RequestOptions()) -> list[str]:
    level = BOOST_LEVELS[request.boost_param]
    model_phrases = list(artifact.phrases[: level.model_phrases]) if artifact else []
    return dedupe([*request.keyterms_prompt, *request.word_boost, *model_phrases])


TAIL_GAP_MS = 2000
"""The tail rule of biased decoding. Whisper has seen the whole 30-second window when it ends a
segment; faster-whisper then decodes what follows the last word as a window of its own. With a
prompt that happens for almost every short recording, costs a second full decode, and yields
invented words ("Thank you."): so a biased decode stops once a segment ends within this of the
end of the audio. Conversely, a biased decode that stops further than this before the end has
skipped speech (prompted Whisper sometimes ends a window early), and the rest is decoded again."""


ADAPTED_MAX_S = 30.0
"""Audio up to this long (one decoder window) is decoded with a model's adapted decoder."""


def transcribe(
    engine: Engine,
    samples: np.ndarray,
    artifact: Artifact | None,
    request: RequestOptions = RequestOptions(),
    beam_size: int | None = None,
    *,
    two_pass: bool = True,
    batched: bool = False,
    adapted: Engine | None = None,
) -> TranscriptionResult:
    """The whole custom-model path around `engine.transcribe`; the engine's own result when
    there is no model and no per-request option. ``beam_size`` overrides the engine's beam.

    With a model or phrases, decoding takes two passes (see `second_pass`): the engine's own
    decode, then each window again with the customer's context and the phrases spotted in it.
    ``two_pass=False`` decodes once with the best phrases as hotwords (live partials, where a
    second pass costs too much latency). ``batched``: the second pass's windows as one batch,
    each decoded once (faster on long recordings, less accurate: see `second_pass`).

    ``adapted``: the engine with the model's adapted decoder (`adapted.AdaptedEngines`), which
    decodes both passes of audio up to `ADAPTED_MAX_S`; longer recordings are decoded by
    `engine` alone, as without it. Measured on the Twitter call joined into recordings of about
    3.5 min (bench/README, "Adapting the decoder"): 4.90 % without the adapted decoder, 5.59 %
    with it in both passes, 6.43 % with it in the second pass only, while clips of the same call
    gained (7.63 -> 7.49 %). Why: it writes the fillers and repeated words real speakers say and
    the references leave out (its training speech reads the text exactly), and with each window's
    text the next one's prompt that style feeds on itself (insertions 17 -> 54 on those recordings)."""
    if adapted is not None and len(samples) <= ADAPTED_MAX_S * SAMPLE_RATE:
        engine = adapted
    if not (artifact or request.biasing):
        plain = DecodeOptions(initial_prompt=request.prompt, beam_size=beam_size, temperature=request.temperatures)
        return correct(engine.transcribe(samples, plain), artifact, request)
    if two_pass:
        plain = DecodeOptions(initial_prompt=request.prompt, beam_size=beam_size, temperature=request.temperatures)
        with SecondPass(engine, samples, Guide.of(artifact, request), beam_size, batched=batched) as passes:
            result = passes.finish(engine.transcribe(samples, plain, on_words=passes.heard))
        return correct(result, artifact, request, DecodeOptions(), respell=False)
    options = replace(decode_options(artifact, request), initial_prompt=request.prompt, beam_size=beam_size)
    result = engine.transcribe(samples, options, skip_tail_s=TAIL_GAP_MS / 1000)
    result = recover_tail(engine, samples, result, options)
    return correct(result, artifact, request, options)



def recover_tail(
    engine: Engine, samples: np.ndarray, result: TranscriptionResult, options: DecodeOptions
) -> TranscriptionResult:
    """Decodes the audio after the last word again, unbiased (as the engine alone would), when a
    biased decode stopped `TAIL_GAP_MS` to 30 s before the end. Biased again, a tail this short of
    context is prone to reading the phrase list back. (An early stop inside a long recording loses
    the rest of that window: a known limit.)"""
    if not options.biased:
        return result
    covered_ms = result.words[-1].end if result.words else 0
    gap_ms = len(samples) * 1000 / SAMPLE_RATE - covered_ms
    # An early stop loses at most the rest of one 30-second window; a longer gap is silence
    # (or music) that the biased decode went through window by window and found empty.
    if not TAIL_GAP_MS <= gap_ms <= 30_000:
        return result
    tail = engine.transcribe(samples[covered_ms * SAMPLE_RATE // 1000 :], DecodeOptions(beam_size=options.beam_size))
    return _append(result, tail, covered_ms) if tail.words else result


def _append(result: TranscriptionResult, tail: TranscriptionResult, offset_ms: int) -> TranscriptionResult:
    words = result.words + tuple(
        replace(w, start=w.start + offset_ms, end=w.end + offset_ms) for w in tail.words
    )
    return replace(
        result,
        text=f"{result.text} {tail.text}".strip(),
        words=words,
        confidence=mean_confidence(words),
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
    lexicon = dedupe([*request.keyterms_prompt, *request.word_boost, *(artifact.lexicon if artifact else ())])
    if lexicon and respell:
        edits.respell(lexicon, BOOST_LEVELS[request.boost_param])
    if artifact is not None:
        edits.restyle(artifact.house_style)
    for rule in request.custom_spelling:
        edits.spell(rule.sources, rule.target)
    return edits.result()
