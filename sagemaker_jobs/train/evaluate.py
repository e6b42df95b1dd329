"""Training's own evaluation: WER without and with the custom model on the customer's
recordings, when the corpus holds (recording, reference) pairs.

Every pair is scored with a model that has NOT seen its reference: the pairs are split into up
to `MAX_FOLDS` folds and each fold is transcribed with a model built from the corpus text plus
the other folds' references (k-fold cross-validation). So the figure predicts what the model
does on new audio, not how well it recalls its own training text. The model that ships is
built from everything, references included (see `__main__`).

Transcription is exactly the service's: the engine alone, then `apply.transcribe` with the
fold's model. The engine is loaded only when there are pairs, so text-only training stays a
fraction of a second.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sagemaker_jobs.asr.custom.build import BuildParams, build
from sagemaker_jobs.asr.custom.corpus import CorpusError
from sagemaker_jobs.asr.errors import AsrError
from sagemaker_jobs.train.formats import EvaluationPair, RawCorpus
from sagemaker_jobs.train.scoring import relative_reduction, score

if TYPE_CHECKING:
    from sagemaker_jobs.asr.engine import Engine

log = logging.getLogger("hark.train")

MAX_FOLDS = 5
MAX_EVALUATION_AUDIO_S = 1200.0
"""Audio beyond this is not transcribed (it still trains the model): on a 2-core CPU, 20
minutes takes about 4 minutes to transcribe twice."""
MAX_REPORTED_PAIRS = 100


def default_engine() -> Engine:
    from sagemaker_jobs.asr.engine import Engine, EngineSettings

    return Engine(EngineSettings.from_env(os.environ))


def evaluate(
    corpus: RawCorpus,
    params: BuildParams | None = None,
    engine_factory: Callable[[], Engine] = default_engine,
) -> dict[str, Any]:
    """The ``evaluation`` metrics of a corpus with pairs (see the module docstring)."""
    from sagemaker_jobs.asr import audio
    from sagemaker_jobs.asr.custom.apply import transcribe
    from sagemaker_jobs.asr.engine import DecodeOptions

    usable: list[tuple[EvaluationPair, Any]] = []
    skipped: list[dict[str, str]] = []
    seconds = 0.0
    for pair in corpus.pairs:
        try:
            samples = audio.decode(pair.audio)
        except AsrError as error:  # one bad recording must not sink the model
            skipped.append({"name": pair.name, "reason": f"the audio cannot be used: {error}"})
            continue
        duration = len(samples) / audio.SAMPLE_RATE
        if seconds + duration > MAX_EVALUATION_AUDIO_S:
            skipped.append({"name": pair.name, "reason": f"over the {MAX_EVALUATION_AUDIO_S:.0f} s evaluation budget"})
            continue
        seconds += duration
        usable.append((pair, samples))
    result: dict[str, Any] = {"pairs": len(corpus.pairs), "evaluated": 0, "audio_seconds": round(seconds, 1)}
    if skipped:
        result["skipped"] = skipped[:MAX_REPORTED_PAIRS]
    if not usable:
        result["reason"] = "no recording could be evaluated"
        return result

    engine = engine_factory()
    folds = min(MAX_FOLDS, len(usable))
    references, without, with_model, per_pair = [], [], [], []
    for fold in range(folds):
        held = usable[fold::folds]
        held_ids = {id(p) for p, _ in held}
        # The other folds' references, and those of pairs not evaluated, train the fold's model.
        others = [p.reference for p in corpus.pairs if id(p) not in held_ids]
        try:
            artifact, _ = build([*corpus.texts, *others], corpus.phrases, params)
        except CorpusError:
            for pair, _ in held:
                skipped.append({"name": pair.name, "reason": "no text besides its own reference to build a model from"})
            continue
        for pair, samples in held:
            base = engine.transcribe(samples, DecodeOptions()).text
            custom = transcribe(engine, samples, artifact).text
            references.append(pair.reference)
            without.append(base)
            with_model.append(custom)
            if len(per_pair) < MAX_REPORTED_PAIRS:
                one_without, one_with = score([pair.reference], [base]), score([pair.reference], [custom])
                per_pair.append(
                    {"name": pair.name, "wer_without": round(one_without.wer, 4), "wer_with": round(one_with.wer, 4)}
                )
    if skipped:
        result["skipped"] = skipped[:MAX_REPORTED_PAIRS]
    if not references:
        result["reason"] = "no recording could be evaluated"
        return result
    before, after = score(references, without), score(references, with_model)
    result.update(
        {
            "evaluated": len(references),
            "folds": folds,
            "reference_words": before.words,
            "wer_without": round(before.wer, 4),
            "wer_with": round(after.wer, 4),
            "relative_wer_reduction": round(relative_reduction(before.wer, after.wer), 4),
            "domain_terms": before.domain_terms,
            "domain_term_error_rate_without": round(before.domain_error_rate, 4),
            "domain_term_error_rate_with": round(after.domain_error_rate, 4),
            "per_pair": per_pair,
        }
    )
    log.info(
        "evaluation on %d recordings (%.0f s): WER %.2f%% without, %.2f%% with the model",
        len(references),
        seconds,
        100 * before.wer,
        100 * after.wer,
    )
    return result
