"""PII redaction on synthetic calls: what reaches the redacted transcript, what is redacted that
should not be, and what the bleeped audio still says.

    python -m bench.pii [--calls 45] [--seed 7]

Callers are espeak-ng voices (bench.synthetic's rotation, half of the calls with pink noise,
a third through a telephone band). Each call says three pieces of personal data in sentences
from one of these sets of phrasings:

- DEV: the phrasings the rules in sagemaker_jobs/asr/pii.py were written and checked against;
- HELD_OUT: other phrasings of the same kinds, written before the benchmark's first run; its
  misses in the second run led to one change (numbers redacted under every policy their
  length allows), so it is no longer clean;
- FRESH: phrasings written after that change; its CVV misses (the acronym misheard) led to
  one more change, so it is not clean either;
- LATE (`--phrasings late`): written before that change was run; its CVV misses ("the three
  digits on the back are ...", no code word) were read afterwards;
- UNSEEN (`--phrasings unseen`): written after LATE was read, before the change for it (cue
  words for the card code); its e-mail misses were read afterwards;
- NOVEL (`--phrasings novel`): written after that, before the e-mail change.
- PAIRED (`--phrasings paired`): the card number and its code in one sentence, written with the
  rule for a code said right after the card (`pii.CODE_AFTER_CARD_WORDS`), before it was run.

plus one sentence with ordinary numbers and no personal data. Values are drawn at random (valid
card numbers by Luhn, ten-digit phone numbers, dates of birth); numbers are read out digit by
digit, as callers do.

Per policy: recall = the share of the said values that leave no trace in the redacted words
(a name: no word within edit ratio 80 of it; a number: no run of 4 of its digits, 3 for a CVV,
however the decoder wrote them; a date of birth: neither its month nor its year). Wrongly
redacted = redacted words that are none of the values, over all words that are none of them.
Audio recall = the same check on a transcript of the bleeped audio.

Baseline (what a user could do alone): presidio's own analyzer with every predefined recognizer
on the decoded text (same spaCy pipeline), its entities redacted the same way.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from bench.synthetic import VOICES, _noise_bank, _Render, _render_clip, _Sentence
from hark_core import speech
from sagemaker_jobs.asr import audio, pii
from sagemaker_jobs.asr.engine import DecodeOptions, Engine, EngineSettings
from sagemaker_jobs.asr.result import Word

FIRST = ("Sarah", "Michael", "Priya", "James", "Elena", "David", "Grace", "Omar", "Linda", "Kevin", "Maria", "Thomas")
LAST = ("Johnson", "Patel", "Garcia", "Miller", "Nguyen", "Anderson", "Robinson", "Kowalski", "Brown", "Fischer")
CITIES = ("Denver", "Chicago", "Boston", "Seattle", "Phoenix", "Atlanta", "Portland", "Dallas", "Toronto", "London")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty first",
    "twenty second",
    "twenty third",
    "twenty fourth",
    "twenty fifth",
    "twenty sixth",
    "twenty seventh",
    "twenty eighth",
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
UNITS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DOMAINS = ("gmail", "yahoo", "outlook")

# {slot} names: name, city, card, phone, ssn, dob, routing, account, cvv, email.
DEV = {
    "person_name": ("Hi, my name is {name}.", "Yes, this is {name} speaking."),
    "location": ("I live in {city}.", "I am calling from {city}."),
    "credit_card_number": ("My card number is {card}.",),
    "phone_number": ("You can call me back on {phone}.",),
    "us_social_security_number": ("My social security number is {ssn}.",),
    "date_of_birth": ("I was born on {dob}.",),
    "banking_information": ("The routing number is {routing}.",),
    "credit_card_cvv": ("And the CVV is {cvv}.",),
    "email_address": ("Email me at {email}.",),
}
HELD_OUT = {
    "person_name": ("Sure, the account is under {name}.", "Could you ask {name} to call me?"),
    "location": ("We moved to {city} last spring.", "The package went to {city} instead."),
    "credit_card_number": ("Okay, the long number on the front is {card}.",),
    "phone_number": ("The best number to reach me is {phone}.",),
    "us_social_security_number": ("Sure, my social is {ssn}.",),
    "date_of_birth": ("Date of birth, {dob}.",),
    "banking_information": ("Please pay it into checking account {account}.",),
    "credit_card_cvv": ("The security code on the back is {cvv}.",),
    "email_address": ("My email address is {email}.",),
}
# Written after the held-out set had been looked at once (its misses led to numbers being
# redacted under every policy their length allows): the set nothing was changed for.
FRESH = {
    "person_name": ("Hello, {name} here, returning your call.", "I spoke with {name} yesterday."),
    "location": ("My flight leaves from {city} tomorrow.", "Our office in {city} is closed."),
    "credit_card_number": ("Put it on the Visa, {card}.",),
    "phone_number": ("Text me at {phone} when it ships.",),
    "us_social_security_number": ("For verification, the last nine are {ssn}, that is my SSN.",),
    "date_of_birth": ("My birthday is {dob}.",),
    "banking_information": ("Our bank account number is {account}.",),
    "credit_card_cvv": ("CVC is {cvv}.",),
    "email_address": ("Send the receipt to {email}, thanks.",),
}
# Written on 2026-12-03 after FRESH's misses had been read (CVC heard as "CBC", "CVT", "C-V-Z"),
# before the change they led to (an acronym one letter from CVV/CVC is taken for it) was run:
# the phrasings that change was not chosen on. Select with --phrasings late.
LATE = {
    "person_name": ("This is {name} from the billing team.", "My husband, {name}, set it up."),
    "location": ("I'm driving up to {city} next week.", "The store in {city} had none left."),
    "credit_card_number": ("The card is {card}, it expires next year.",),
    "phone_number": ("My cell is {phone}.",),
    "us_social_security_number": ("And my Social Security number, {ssn}.",),
    "date_of_birth": ("Birth date is {dob}.",),
    "banking_information": ("Wire it to account {account}, please.",),
    "credit_card_cvv": ("The three digits on the back are {cvv}.", "Security code {cvv}."),
    "email_address": ("You can reach me by email, {email}.",),
}
# Written on 2026-12-03 (later session), after LATE's results had been read ("the three digits on
# the back are 466" has no code word) and before any change for it: select with --phrasings unseen.
UNSEEN = {
    "person_name": ("Thanks, it's {name} again.", "Please add {name} to the account as well."),
    "location": ("I'm at a hotel in {city} this week.", "It was shipped out of {city}."),
    "credit_card_number": ("Let me read you the card, {card}.",),
    "phone_number": ("Call me at {phone} after five.",),
    "us_social_security_number": ("The SSN is {ssn}.",),
    "date_of_birth": ("Born on {dob}.",),
    "banking_information": ("Routing {routing}, for the direct deposit.",),
    "credit_card_cvv": (
        "The code on the back of the card is {cvv}.",
        "And the last three on the back, {cvv}.",
        "Card verification number {cvv}.",
    ),
    "email_address": ("My work email is {email}.",),
}
# Written after UNSEEN's e-mail misses had been read ("graceatemail .com": the "at" glued to the
# name), before the change they led to: select with --phrasings novel.
NOVEL = {
    "person_name": ("You were helped by {name}, I think.", "The order is for {name}."),
    "location": ("We used to live near {city}.", "Is there a branch in {city}?"),
    "credit_card_number": ("The Mastercard number, {card}.",),
    "phone_number": ("Daytime number, {phone}.",),
    "us_social_security_number": ("Social, {ssn}.",),
    "date_of_birth": ("Her date of birth is {dob}.",),
    "banking_information": ("The account we pay from is {account}.",),
    "credit_card_cvv": ("CVV {cvv}.",),
    "email_address": ("Please email the invoice to {email}.", "Contact address, {email}."),
}
# Written on 2026-12-06 with the rule for a code said right after the card number (whatever its
# cue word was heard as), before that rule was run on any call: the card and its code in one
# breath, as callers give them. Select with --phrasings paired.
PAIRED = {
    "person_name": ("It's {name}, I'd like to pay my bill.", "The card holder is {name}."),
    "location": ("The billing address is in {city}.",),
    "credit_card_number": (
        "The card number is {card}, and the CVV is {cvv}.",
        "Okay, {card}. The code on the back is {cvv}.",
        "It's a Visa, {card}, security code {cvv}.",
        "My card is {card} and the three digits are {cvv}.",
    ),
    "phone_number": ("Call me on {phone} if it fails.",),
    "date_of_birth": ("Date of birth {dob}.",),
}
PHRASINGS = {
    "dev": DEV, "held_out": HELD_OUT, "fresh": FRESH, "late": LATE, "unseen": UNSEEN, "novel": NOVEL, "paired": PAIRED,
}  # fmt: skip
DEFAULT_PHRASINGS = ("dev", "held_out", "fresh")
"""The calls of runs before LATE existed: the same calls for the same seed."""
PLAIN = (
    "We ordered 12 boxes in 2019 and paid 45 dollars for each one.",
    "The meeting moved to room 204 on the third floor.",
    "It took about 20 minutes and two calls to sort it out.",
    "I have had the plan for 3 years and never had a problem.",
)
POLICIES = tuple(DEV)  # what the user asks to redact: the kinds the calls say
SLOT_POLICY = {
    "name": "person_name",
    "city": "location",
    "card": "credit_card_number",
    "phone": "phone_number",
    "ssn": "us_social_security_number",
    "dob": "date_of_birth",
    "routing": "banking_information",
    "account": "banking_information",
    "cvv": "credit_card_cvv",
    "email": "email_address",
}


@dataclass(frozen=True)
class Value:
    policy: str
    written: str  # as a reference transcript would write it
    spoken: str  # as espeak reads it
    digits: str = ""  # for numbers


@dataclass
class Call:
    set_name: str
    text: str
    spoken: str
    values: list[Value]
    render: _Render


@dataclass
class Tally:
    said: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    caught: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    wrong: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    plain_words: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _digits_spoken(digits: str, groups: Sequence[int]) -> str:
    out, at = [], 0
    for size in groups:
        out.append(" ".join(digits[at : at + size]))
        at += size
    return ", ".join(out)


def _luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        if pii._luhn(prefix + last):
            return prefix + last
    raise AssertionError("no Luhn digit")


def _value(slot: str, rng: random.Random) -> Value:
    policy = SLOT_POLICY[slot]
    if slot == "name":
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        return Value(policy, name, name)
    if slot == "city":
        city = rng.choice(CITIES)
        return Value(policy, city, city)
    if slot == "email":
        user, host = rng.choice(FIRST).lower(), rng.choice(DOMAINS)
        return Value(policy, f"{user}@{host}.com", f"{user} at {host} dot com")
    if slot == "dob":
        month, day, year = rng.randrange(12), rng.randrange(28), rng.randint(1940, 2004)
        century, rest = divmod(year, 100)
        said_year = f"{'nineteen' if century == 19 else 'two thousand'} {TENS[rest // 10]} {UNITS[rest % 10]}".strip()
        if century == 20:
            said_year = f"two thousand {UNITS[rest]}" if rest < 10 else said_year
        return Value(
            policy, f"{MONTHS[month]} {day + 1}, {year}", f"{MONTHS[month]} {ORDINALS[day]}, {said_year}", str(year)
        )
    digits: str
    groups: Sequence[int]
    if slot == "card":
        digits, groups = (
            _luhn_complete(rng.choice("45") + "".join(rng.choice("0123456789") for _ in range(14))),
            (4, 4, 4, 4),
        )
    elif slot == "phone":
        digits = (
            rng.choice(("415", "312", "617", "206", "303", "512", "646", "702"))
            + str(rng.randint(2, 9))
            + "".join(rng.choice("0123456789") for _ in range(6))
        )
        groups = (3, 3, 4)
    elif slot == "ssn":
        digits, groups = str(rng.randint(100, 899)) + "".join(rng.choice("0123456789") for _ in range(6)), (3, 2, 4)
    elif slot == "routing":
        digits, groups = "0" + "".join(rng.choice("0123456789") for _ in range(8)), (3, 3, 3)
    elif slot == "account":
        digits, groups = "".join(rng.choice("123456789") for _ in range(10)), (3, 3, 4)
    else:  # cvv
        digits, groups = "".join(rng.choice("0123456789") for _ in range(3)), (3,)
    written = " ".join(digits[sum(groups[:i]) : sum(groups[: i + 1])] for i in range(len(groups)))
    return Value(policy, written, _digits_spoken(digits, groups), digits)


def make_calls(count: int, seed: int, phrasings: Sequence[str] = DEFAULT_PHRASINGS) -> list[Call]:
    rng = random.Random(seed)
    calls = []
    for i in range(count):
        set_name = phrasings[i % len(phrasings)]
        templates = PHRASINGS[set_name]
        policies = rng.sample(sorted(templates), 3)
        text_parts, spoken_parts, values = [], [], []
        for policy in policies:
            template = rng.choice(templates[policy])
            slots = re.findall(r"\{(\w+)\}", template)
            filled = {slot: _value(slot, rng) for slot in slots}
            text_parts.append(template.format(**{k: v.written for k, v in filled.items()}))
            spoken_parts.append(template.format(**{k: v.spoken for k, v in filled.items()}))
            values += filled.values()
        plain = rng.choice(PLAIN)
        position = rng.randrange(4)
        text_parts.insert(position, plain)
        spoken_parts.insert(position, plain)
        render = _Render(
            voice=VOICES[i % len(VOICES)],
            speed=rng.randint(140, 170),
            snr_db=round(rng.uniform(15, 25), 1) if rng.random() < 0.5 else None,
            phone=rng.random() < 1 / 3,
        )
        calls.append(Call(set_name, " ".join(text_parts), " ".join(spoken_parts), values, render))
    return calls


def _norm(word: str) -> str:
    return re.sub(r"[^\w@]", "", word.lower())


_EMAIL_CUES = {"email", "emails", "mail", "address"}


def _leaks(value: Value, words: Sequence[Word]) -> bool:
    """Whether `words` (redacted or not) still give `value` away."""
    if value.policy in ("person_name", "location", "email_address"):
        parts = [_norm(p) for p in re.split(r"[\s@.]", value.written) if len(_norm(p)) >= 3 and _norm(p) != "com"]
        # The cue word is no leak, though "email" is within ratio 80 of "gmail".
        heard = [h for h in (_norm(w.text) for w in words) if h and h not in _EMAIL_CUES]
        return any(fuzz.ratio(p, h) >= 80 for p in parts for h in heard)
    runs = [t.text for t in pii.spoken_view(words) if t.digits]
    if value.policy == "date_of_birth":
        month = value.written.split()[0].lower()
        year_words = value.digits[2:]
        return any(_norm(w.text) == month for w in words) or any(
            value.digits in r or (len(r) >= 2 and r == year_words) for r in runs
        )
    size = 3 if value.policy == "credit_card_cvv" else 4
    pieces = {value.digits[i : i + size] for i in range(len(value.digits) - size + 1)}
    return any(r[i : i + size] in pieces for r in runs for i in range(len(r) - size + 1))


def _is_value_word(word: str, values: Sequence[Value]) -> bool:
    w = _norm(word)
    if not w:
        return True
    for value in values:
        if value.digits and (re.sub(r"\D", "", w) or w in pii._DIGIT_WORDS or w in pii._HOMOPHONES):
            return True
        if value.policy == "date_of_birth" and (w in value.spoken.lower() or w in ("th", "st", "nd", "rd")):
            return True
        if any(fuzz.ratio(w, _norm(p)) >= 80 for p in re.split(r"[\s@.]", value.spoken) if _norm(p)):
            return True
    return False


def _redacted(words: Sequence[Word], redacted: Sequence[Word]) -> list[bool]:
    return [a.text != b.text for a, b in zip(words, redacted)]


class PresidioBaseline:
    """presidio's analyzer with all of its predefined recognizers, on the decoded text."""

    TYPES = {
        "PERSON": "person_name",
        "LOCATION": "location",
        "PHONE_NUMBER": "phone_number",
        "CREDIT_CARD": "credit_card_number",
        "US_SSN": "us_social_security_number",
        "DATE_TIME": "date_of_birth",
        "US_BANK_NUMBER": "banking_information",
        "EMAIL_ADDRESS": "email_address",
        "IBAN_CODE": "banking_information",
    }

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": pii.SPACY_PIPELINE}],
            }
        ).create_engine()
        self._analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

    def redact(self, words: Sequence[Word]) -> list[Word]:
        spans, at = [], 0
        for w in words:
            spans.append((at, at + len(w.text)))
            at += len(w.text) + 1
        text = " ".join(w.text for w in words)
        hit = [False] * len(words)
        for result in self._analyzer.analyze(text=text, language="en"):
            if result.entity_type in self.TYPES:
                for i, (a, b) in enumerate(spans):
                    if a < result.end and b > result.start:
                        hit[i] = True
        return [Word(pii._hashed(w.text), w.start, w.end, w.confidence) if h else w for w, h in zip(words, hit)]


def _score(tally: Tally, call: Call, words: Sequence[Word], redacted: Sequence[Word], column: str) -> None:
    for value in call.values:
        if column == "hark":
            tally.said[f"{call.set_name}:{value.policy}"] += 1
        tally.caught[column][f"{call.set_name}:{value.policy}"] += not _leaks(value, redacted)
    if len(words) == len(redacted):
        for word, was in zip(words, _redacted(words, redacted)):
            if not _is_value_word(word.text, call.values):
                tally.plain_words[f"{call.set_name}:{column}"] += 1
                tally.wrong[f"{call.set_name}:{column}"] += was


def run(
    count: int,
    seed: int,
    model: str | None = None,
    prompt: str | None = None,
    phrasings: Sequence[str] = DEFAULT_PHRASINGS,
) -> None:
    calls = make_calls(count, seed, phrasings)
    engine = Engine(EngineSettings.from_env({}, model)).speaking("en")
    hint = DecodeOptions(initial_prompt=prompt)
    finder, baseline = pii.Finder(), PresidioBaseline()
    tally = Tally()
    timing = defaultdict(float)
    audio_s = 0.0
    with tempfile.TemporaryDirectory(prefix="hark-pii-") as tmp:
        noise = _noise_bank(Path(tmp))
        for i, call in enumerate(calls):
            path = Path(tmp) / f"call{i}.wav"
            _render_clip(_Sentence(call.text, call.spoken, ()), call.render, path, noise, random.Random(i).random())
            samples = audio.decode(path.read_bytes())
            audio_s += len(samples) / audio.SAMPLE_RATE
            started = time.perf_counter()
            result = engine.transcribe(samples, hint)
            timing["decode"] += time.perf_counter() - started
            words = list(result.words)
            started = time.perf_counter()
            entities = finder.find(words)
            timing["find"] += time.perf_counter() - started
            entities = pii.select(entities, POLICIES)
            redacted = pii.redact(words, entities, POLICIES, "hash")
            _score(tally, call, words, redacted, "hark")
            _score(tally, call, words, baseline.redact(words), "presidio")
            again = engine.transcribe(pii.bleeped(samples, entities, audio.SAMPLE_RATE)).words
            _score(tally, call, again, again, "audio")
            if i < 4 or any(_leaks(v, redacted) for v in call.values):
                print(f"  [{call.set_name}] said: {call.text}\n      redacted: {' '.join(w.text for w in redacted)}")
    _report(tally, count, audio_s, timing)


def _report(tally: Tally, count: int, audio_s: float, timing: dict[str, float]) -> None:
    print(
        f"\nPII redaction: {count} synthetic calls, {audio_s:.0f} s of audio; finding took {timing['find']:.1f} s "
        f"(decoding {timing['decode']:.1f} s)"
    )
    print(f"{'set':9} {'policy':27} {'said':>5} {'Hark':>6} {'presidio':>9} {'audio':>6}")
    for key in sorted(tally.said):
        set_name, policy = key.split(":")
        said = tally.said[key]
        row = [tally.caught[c][key] / said for c in ("hark", "presidio", "audio")]
        print(f"{set_name:9} {policy:27} {said:5d} {row[0]:6.2f} {row[1]:9.2f} {row[2]:6.2f}")
    for set_name in sorted({key.split(":")[0] for key in tally.said}):
        parts = []
        for column in ("hark", "presidio"):
            plain = tally.plain_words[f"{set_name}:{column}"]
            parts.append(
                f"{column} {tally.wrong[f'{set_name}:{column}']}/{plain} "
                f"({tally.wrong[f'{set_name}:{column}'] / max(plain, 1):.1%})"
            )
        print(f"wrongly redacted words, {set_name}: " + ", ".join(parts))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=45)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--model",
        default=speech.choose(None, None, detect=False, personal_data=True),
        help="a shipped speech model's name (default: the one the API chooses for redact_pii)",
    )
    parser.add_argument("--prompt", help="an initial_prompt for every decode (a one-line baseline)")
    parser.add_argument(
        "--phrasings", nargs="+", choices=sorted(PHRASINGS), default=list(DEFAULT_PHRASINGS),
        help="the sets of phrasings the calls take turns with (the default's calls are those of earlier runs)",
    )
    args = parser.parse_args(argv)
    run(args.calls, args.seed, args.model, args.prompt, args.phrasings)


if __name__ == "__main__":
    main()
