"""A request's hints as the decoder uses them, read from the job's typed options
(`hark_core.options`): phrases to bias towards, spellings to apply, a prompt, a temperature."""

from collections.abc import Iterable
from dataclasses import dataclass

from hark_core.options import TranscriptOptions
from sagemaker_jobs.asr.custom.corpus import CorpusError, parse_phrases
from sagemaker_jobs.asr.errors import InvalidOptionsError


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
    def of(cls, options: TranscriptOptions) -> "RequestOptions":
        """The hints of validated options; `InvalidOptionsError` for a phrase the decoder cannot
        take (longer than a name or a term)."""
        return cls(
            word_boost=_phrases(options.word_boost, "word_boost"),
            boost_param=options.boost_param or "default",
            keyterms_prompt=_phrases(options.keyterms_prompt, "keyterms_prompt"),
            custom_spelling=tuple(
                SpellingRule(tuple(s.strip() for s in rule.from_), rule.to.strip()) for rule in options.custom_spelling or ()
            ),
            prompt=(options.prompt or "").strip() or None,
            temperature=options.temperature,
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


def _phrases(value: list[str] | None, name: str) -> tuple[str, ...]:
    try:
        return tuple(parse_phrases(value or (), what=f"{name} entry"))
    except CorpusError as error:
        raise InvalidOptionsError(str(error)) from None


def dedupe(phrases: Iterable[str]) -> list[str]:
    """The phrases in order, each once (case-folded)."""
    seen: set[str] = set()
    out = []
    for phrase in phrases:
        key = phrase.casefold()
        if key not in seen:
            seen.add(key)
            out.append(phrase)
    return out

