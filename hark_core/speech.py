"""Which base speech model and language a transcript request asks for, in AssemblyAI's terms.

Hark offers two base models (both in the inference image, see `sagemaker_jobs.asr.speech_models`):

- ``whisper-tiny.en``: English only and the fastest; the default for English. AssemblyAI's
  ``nano`` and ``slam-1`` (its English-only model) name it too.
- ``whisper-base``: multilingual, detects the language; used when a request detects the language
  or names a language other than English. AssemblyAI's ``universal`` and ``best`` name it.

A custom model decodes on either: it holds text, not weights.
"""

from __future__ import annotations

from typing import Optional

TINY_EN = "whisper-tiny.en"
BASE = "whisper-base"
MODELS = {TINY_EN: False, BASE: True}
"""Hark's base models, and whether each is multilingual."""
ALIASES = {"nano": TINY_EN, "slam-1": TINY_EN, "universal": BASE, "best": BASE}
"""AssemblyAI's model names, mapped to the Hark model that plays their part."""

ENGLISH_CODES = frozenset({"en", "en_us", "en_uk", "en_au"})
WHISPER_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy "
    "id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru sa "
    "sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh".split()
)
"""The languages Whisper base transcribes (faster-whisper's codes; a test keeps them equal)."""
_ISO_SPELLINGS = {"jv": "jw"}
"""ISO 639-1 codes that Whisper spells its own way (Javanese)."""


def base_model(name: str) -> Optional[str]:
    """The Hark base model a speech model name means, or None when it names none (a custom
    model's id, or a name Hark does not know)."""
    name = name.strip().lower()
    return name if name in MODELS else ALIASES.get(name)


def whisper_language(code: str) -> Optional[str]:
    """Whisper's code for an AssemblyAI language code ("en_uk" -> "en"), or None when Whisper
    does not transcribe that language."""
    code = code.strip().lower()
    if code in ENGLISH_CODES:
        return "en"
    code = _ISO_SPELLINGS.get(code, code)
    return code if code in WHISPER_LANGUAGES else None


def choose(named: Optional[str], language: Optional[str], detect: bool, personal_data: bool = False) -> str:
    """The base model for a request: the one it names, else the multilingual one when it needs
    another language than English or detection, or finds personal data, else the fastest.
    Raises ValueError, with a message for the client, when the named model cannot do what was
    asked.

    `personal_data` (redact_pii or entity_detection): whisper-base hears spoken numbers better,
    and a card number misheard is a card number left in the transcript. Chosen on bench/pii.py's
    DEV phrasings (number-like values caught 0.86 -> 0.89, 45 calls, seed 11) and reported on the
    others, same calls: FRESH and HELD_OUT together 41/47 (0.87) -> 45/47 (0.96); names 11/12 ->
    10/12, e-mail addresses 11/14 -> 9/14 (one or two values each); decoding 1.34x the time. A
    larger run after the choice (90 calls, seed 23) agreed: 80/98 -> 91/98 there. A request that
    names tiny.en (`nano`) keeps it."""
    needs_multilingual = detect or (language is not None and language != "en")
    if named is None:
        return BASE if needs_multilingual or personal_data else TINY_EN
    if needs_multilingual and not MODELS[named]:
        asked = "language_detection" if detect else f"language_code {language!r}"
        raise ValueError(f"{named} is English-only and cannot do {asked}: use {BASE} (or 'universal')")
    return named
