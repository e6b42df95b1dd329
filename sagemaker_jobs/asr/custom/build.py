"""Building a custom model from a customer's text: `build(texts, phrases, params)`."""

import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.custom.bias import BOOST_LEVELS, format_prompt
from sagemaker_jobs.asr.custom.corpus import CorpusError, parse, words
from sagemaker_jobs.asr.custom.lm import NgramLM
from sagemaker_jobs.asr.custom.mining import mine, rarity

RESPELL_MIN_RARITY = 1.5
"""Only words general English barely knows (not inflections of common words) are respelled."""


@dataclass(frozen=True)
class BuildParams:
    max_phrases: int = 2000
    """Mined domain phrases kept in the model, besides every explicit one (each window's decode
    gets the ones spotted in it, see `spotting`)."""
    max_context_words: int = 400_000
    """Words of customer sentences kept as decoder context (see `context`); the rest are dropped."""
    max_lexicon: int = 100
    """Rare spellings kept for post-decode respelling."""
    lm_order: int = 3
    heldout_fraction: float = 0.1
    min_heldout_sentences: int = 5
    """The held-out LM metrics need at least this many held-out sentences (so 50+ in all)."""

    @classmethod
    def from_mapping(cls, params: "BuildParams | Mapping[str, Any] | None") -> "BuildParams":
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(params) - set(known)
        if unknown:
            raise CorpusError(f"unknown build parameter(s): {', '.join(sorted(unknown))}")
        values = {}
        for name, value in params.items():
            default = getattr(cls, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CorpusError(f"build parameter {name!r} must be a non-negative number")
            values[name] = type(default)(value)
        if values.get("heldout_fraction", 0.1) >= 1:
            raise CorpusError("build parameter 'heldout_fraction' must be below 1")
        return cls(**values)


def build(
    texts: Iterable[str | bytes],
    phrases: Iterable[str | bytes] = (),
    params: BuildParams | Mapping[str, Any] | None = None,
) -> tuple[Artifact, dict[str, Any]]:
    """Builds a custom model; raises `CorpusError` (an `AsrError`) for unusable input."""
    started = time.perf_counter()
    params = BuildParams.from_mapping(params)
    corpus = parse(texts, phrases)
    ranked = mine(corpus.sentences, corpus.phrases, limit=params.max_phrases)
    phrase_texts = tuple(p.text for p in ranked)
    lexicon = tuple(
        p.text
        for p in mine(corpus.sentences, corpus.phrases, limit=10 * params.max_lexicon)
        if p.kind == "explicit" or any(rarity(w) > RESPELL_MIN_RARITY for w in words(p.text))
    )[: params.max_lexicon]

    tokenised = [[w.lower() for w in words(s)] for s in corpus.sentences]
    vocabulary = {w for s in tokenised for w in s}
    metrics: dict[str, Any] = {
        "corpus_sentences": len(corpus.sentences),
        "corpus_words": sum(len(s) for s in tokenised),
        "vocabulary_size": len(vocabulary),
        "explicit_phrases": len(corpus.phrases),
        "domain_phrases_found": len(ranked) - len(corpus.phrases),
        "domain_phrases": [p.to_dict() for p in ranked[:50]],
        "lexicon_size": len(lexicon),
    }
    metrics.update(_heldout_metrics(tokenised, params))
    prompt = format_prompt(phrase_texts[: BOOST_LEVELS["default"].model_phrases], BOOST_LEVELS["default"].max_chars)
    metrics["build_seconds"] = round(time.perf_counter() - started, 3)
    sentences = _context_sentences(corpus.sentences, params.max_context_words)
    metrics["context_sentences"] = len(sentences)
    artifact = Artifact(
        phrases=phrase_texts,
        prompt=prompt,
        lexicon=lexicon,
        sentences=sentences,
        params=asdict(params),
        metrics={k: v for k, v in metrics.items() if k != "domain_phrases"},
    )
    return artifact, metrics


def _context_sentences(sentences: Iterable[str], max_words: int) -> tuple[str, ...]:
    """Distinct sentences up to `max_words` words, in corpus order."""
    kept: list[str] = []
    count = 0
    for sentence in dict.fromkeys(sentences):
        length = len(sentence.split())
        if count + length > max_words:
            break
        kept.append(sentence)
        count += length
    return tuple(kept)


def _heldout_metrics(tokenised: list[list[str]], params: BuildParams) -> dict[str, Any]:
    """Perplexity and OOV rate of an n-gram LM on every k-th sentence, trained on the others."""
    heldout_count = int(len(tokenised) * params.heldout_fraction)
    if heldout_count < max(1, params.min_heldout_sentences):
        return {"heldout_sentences": 0, "heldout_perplexity": None, "heldout_oov_rate": None}
    step = max(2, round(1 / params.heldout_fraction))
    heldout = [s for i, s in enumerate(tokenised) if i % step == step - 1]
    train = [s for i, s in enumerate(tokenised) if i % step != step - 1]
    lm = NgramLM.train(train, order=params.lm_order)
    perplexity, oov = lm.evaluate(heldout)
    return {
        "heldout_sentences": len(heldout),
        "heldout_perplexity": round(perplexity, 2),
        "heldout_oov_rate": round(oov, 4),
    }
